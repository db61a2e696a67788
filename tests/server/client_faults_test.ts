// Issue 14, finding 2: a transient failure (the client's storage, the
// network) while the delivery client applies an inbox message must never
// make it skip or acknowledge that message. Faults are injected at each
// step of applying a message: the group's receive and persist, the Welcome
// join, the cursor save, the ack and the inbox fetch. A fault that clears
// within the retry budget is invisible; one that lasts stops the client at
// the message (an `error` event with `skipped: false`, `sync()` rejects),
// and once it clears the member catches up with the group's epoch and
// reads every later message. Throughout, the server checks at each ack that
// every message acknowledged was applied.
import assert from "node:assert/strict";
import {
  DeliveryClient,
  DeliveryError,
  type DeliveryEvent,
} from "../../delivery.ts";
import { type GroupView, MemoryStorage, MLS } from "../../mod.ts";
import { ApiError } from "../../server/errors.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore, InboxMessage } from "../../server/store/store.ts";
import { type Fault, FaultyStorage } from "../api/storage/faulty_storage.ts";
import { type Running, startServer } from "./helpers.ts";

/** Small delays: the tests wait on outcomes, never on time. */
// Enough attempts for two faults of each of two operations, each hit on
// its own attempt (a failed write drops the view's state; the next attempt
// reloads it, and that read may fail too).
const RETRY = { attempts: 6, initialDelayMs: 1, maxDelayMs: 4 };

/** A client whose storage fails on demand, and what it observed. */
interface Member {
  client: DeliveryClient;
  storage: FaultyStorage;
  events: DeliveryEvent[];
  texts: string[];
  /** The latest view of each group, from the events. */
  views: Map<string, GroupView>;
  /** Resolves with the first event (past or future) that `pred` accepts. */
  waitFor(pred: (e: DeliveryEvent) => boolean): Promise<DeliveryEvent>;
}

async function member(url: string, name: string): Promise<Member> {
  const storage = new FaultyStorage(new MemoryStorage());
  const events: DeliveryEvent[] = [];
  const texts: string[] = [];
  const views = new Map<string, GroupView>();
  const waiters: Array<{
    pred: (e: DeliveryEvent) => boolean;
    resolve: (e: DeliveryEvent) => void;
  }> = [];
  const onEvent = (e: DeliveryEvent) => {
    events.push(e);
    if (e.type === "joined" || e.type === "received") {
      views.set(e.groupId, e.group);
    }
    if (e.type === "received" && e.received.type === "application") {
      texts.push(e.received.text());
    }
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };
  const client = await DeliveryClient.register(
    url,
    new MLS({ storage }),
    { name, onEvent, retry: RETRY },
  );
  return {
    client,
    storage,
    events,
    texts,
    views,
    waitFor: (pred) => {
      const past = events.find(pred);
      if (past) return Promise.resolve(past);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

/**
 * The server's store, watched: at every ack (HTTP or stream), the
 * messages about to be deleted must have been applied by their client;
 * acks can be made to fail.
 */
class Watch {
  /** Acks that violated the rule. */
  violations: string[] = [];
  /** How many coming HTTP acks fail (503). */
  failAcks = 0;
  /** Application texts by `groupId/seq`. */
  sent = new Map<string, string>();
  /** The members checked, by client id. */
  members = new Map<string, Member>();

  applied(m: Member, msg: InboxMessage): boolean {
    const view = m.views.get(msg.groupId);
    switch (msg.kind) {
      case "welcome":
        return view !== undefined;
      case "commit":
        return view !== undefined && view.epoch > BigInt(msg.epoch);
      case "application": {
        const text = this.sent.get(`${msg.groupId}/${msg.seq}`);
        return text !== undefined && m.texts.includes(text);
      }
      default:
        return true;
    }
  }

  async check(
    inner: DeliveryStore,
    clientId: string,
    done: (m: InboxMessage) => boolean,
  ): Promise<void> {
    const m = this.members.get(clientId);
    if (!m) return;
    for (const msg of await inner.fetchInbox(clientId, undefined, 1000)) {
      if (done(msg) && !this.applied(m, msg)) {
        this.violations.push(`${msg.kind} ${msg.epoch}/${msg.seq}`);
      }
    }
  }

  store(inner: MemoryStore): DeliveryStore {
    return new Proxy(inner, {
      get: (t, p) => {
        if (p === "ack") {
          return async (clientId: string, cursor: string) => {
            if (this.failAcks > 0 && this.members.has(clientId)) {
              this.failAcks--;
              throw new ApiError(503, "internal_error", "injected");
            }
            await this.check(t, clientId, (m) => m.cursor <= cursor);
            return t.ack(clientId, cursor);
          };
        }
        if (p === "forget") {
          return async (clientId: string, cursors: readonly string[]) => {
            await this.check(t, clientId, (m) => cursors.includes(m.cursor));
            return t.forget(clientId, cursors);
          };
        }
        const v = Reflect.get(t, p, t);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
  }
}

interface World {
  server: Running;
  watch: Watch;
  alice: Member;
  bob: Member;
  /** Alice's group. */
  group: GroupView;
  gid: string;
  /** Alice sends `text`; the text is recorded for the ack checks. */
  say(text: string): Promise<void>;
}

async function world(): Promise<World> {
  const watch = new Watch();
  const server = await startServer(watch.store(new MemoryStore()));
  const alice = await member(server.url, "alice");
  const bob = await member(server.url, "bob");
  watch.members.set(bob.client.clientId, bob);
  const group = await alice.client.createGroup();
  const gid = group.groupId;
  return {
    server,
    watch,
    alice,
    bob,
    group,
    gid,
    say: async (text) => {
      const { seq } = await alice.client.send(gid, text);
      watch.sent.set(`${gid}/${seq}`, text);
    },
  };
}

/** Bob is in the group and has caught up with it (and read `texts`). */
async function assertCaughtUp(w: World, texts: string[]): Promise<void> {
  const bobView = await w.bob.client.group(w.gid);
  assert.ok(bobView, "bob has the group");
  assert.equal(bobView.epoch, w.group.epoch, "bob is at the group's epoch");
  assert.deepEqual(w.bob.texts, texts);
  assert.equal(
    await bobView.exportSecret("t", "", 16).then((s) => s.join()),
    await w.group.exportSecret("t", "", 16).then((s) => s.join()),
  );
  // Nothing left behind: the inbox is empty once acknowledged.
  await w.bob.client.sync();
  assert.equal((await w.bob.client.http.inbox()).messages.length, 0);
  assert.deepEqual(w.watch.violations, []);
}

// (Written so that events without `skipped`, as older code sent, count
// as skipping.)
const skipped = (e: DeliveryEvent) => e.type === "error" && e.skipped !== false;
const stalled = (e: DeliveryEvent) => e.type === "error" && e.skipped === false;

/** Writes of a group's state (create, join, commit, proposal). */
const groupWrite = (keys: string[]) => keys.some((k) => k.startsWith("group/"));
/** Writes of ratchets only: an application message received. */
const ratchetsOnly = (keys: string[]) =>
  !groupWrite(keys) && keys.some((k) => k.startsWith("ratchets/"));
/** The inbox cursor. */
const cursorWrite = (keys: string[]) =>
  keys.some((k) => k.startsWith("delivery/cursor/"));

/** A step of applying a message, where a fault is injected. */
interface Step {
  name: string;
  /** Bob joins before the fault is armed (else the Welcome is hit). */
  joinFirst: boolean;
  faults: Omit<Fault, "times">[];
}

const STEPS: Step[] = [
  {
    name: "the Welcome join",
    joinFirst: false,
    faults: [{ op: "batch", match: groupWrite }],
  },
  {
    name: "the Welcome join (key package read, plain Error)",
    joinFirst: false,
    faults: [{
      op: "get",
      match: (k) => k.some((k) => k.startsWith("keypackage/")),
      as: "plain",
    }],
  },
  {
    name: "a commit's receive and persist",
    joinFirst: true,
    faults: [{ op: "batch", match: groupWrite }],
  },
  {
    name: "a commit's persist (plain Error)",
    joinFirst: true,
    faults: [{ op: "batch", match: groupWrite, as: "plain" }],
  },
  {
    name: "an application message's ratchets",
    joinFirst: true,
    faults: [{ op: "batch", match: ratchetsOnly }],
  },
  {
    // The write fails and so does reloading the stored state: the view
    // must not keep the message's consumed key in memory.
    name: "an application message's ratchets and the view's reload",
    joinFirst: true,
    faults: [
      { op: "batch", match: ratchetsOnly },
      { op: "get", match: (k) => k.some((k) => k.startsWith("group/")) },
    ],
  },
  {
    name: "the cursor save",
    joinFirst: true,
    faults: [{ op: "batch", match: cursorWrite }],
  },
];

/** Alice adds bob (bob syncs first when `join`). */
async function addBob(w: World, join: boolean): Promise<void> {
  await w.alice.client.add(w.gid, [w.bob.client.clientId]);
  if (join) {
    await w.bob.client.sync();
    assert.ok(w.bob.views.has(w.gid));
  }
}

for (const step of STEPS) {
  Deno.test(`faults: ${step.name}, cleared within the retry budget, is invisible`, async () => {
    const w = await world();
    try {
      if (step.joinFirst) await addBob(w, true);
      for (const f of step.faults) w.bob.storage.fail({ ...f, times: 2 });
      if (!step.joinFirst) await addBob(w, false);
      await w.say("one");
      await w.alice.client.update(w.gid);
      await w.say("two");
      await w.bob.client.sync();
      assert.equal(
        w.bob.storage.injected,
        2 * step.faults.length,
        "the faults were hit",
      );
      assert.deepEqual(w.bob.events.filter((e) => e.type === "error"), []);
      await assertCaughtUp(w, ["one", "two"]);
    } finally {
      await w.server.close();
    }
  });

  Deno.test(`faults: ${step.name}, lasting, stops the client at the message until it clears`, async () => {
    const w = await world();
    try {
      if (step.joinFirst) await addBob(w, true);
      for (const f of step.faults) w.bob.storage.fail(f);
      if (!step.joinFirst) await addBob(w, false);
      await w.say("one");
      await w.alice.client.update(w.gid);
      await w.say("two");
      await assert.rejects(() => w.bob.client.sync());
      const hits = w.bob.storage.injected;
      assert.ok(hits >= RETRY.attempts, "retried before giving up");
      assert.ok(!w.bob.events.some(skipped), "nothing skipped");
      // Another sync while the fault lasts: still stopped, nothing skipped.
      await assert.rejects(() => w.bob.client.sync());
      assert.ok(w.bob.storage.injected > hits, "tried again");
      assert.ok(!w.bob.events.some(skipped), "nothing skipped");
      assert.deepEqual(w.watch.violations, []);
      w.bob.storage.clear();
      await w.bob.client.sync();
      await assertCaughtUp(w, ["one", "two"]);
      assert.ok(!w.bob.events.some(skipped), "nothing skipped");
    } finally {
      await w.server.close();
    }
  });
}

Deno.test("faults: a lasting fault is reported as an error event that skips nothing", async () => {
  const w = await world();
  try {
    await addBob(w, true);
    w.bob.storage.fail({ op: "batch", match: groupWrite });
    await w.alice.client.update(w.gid);
    await w.say("after");
    await assert.rejects(() => w.bob.client.sync());
    const errors = w.bob.events.filter((e) => e.type === "error");
    assert.equal(errors.length, 1, "one report for the message it stopped at");
    assert.ok(stalled(errors[0]));
    assert.equal(errors[0].type === "error" && errors[0].kind, "commit");
    assert.equal(w.bob.views.get(w.gid)!.epoch, 1n);
    // The service still holds the commit and the message for bob.
    const left = (await w.bob.client.http.inbox()).messages;
    assert.deepEqual(left.map((m) => m.kind), ["commit", "application"]);
    w.bob.storage.clear();
    await w.bob.client.sync();
    await assertCaughtUp(w, ["after"]);
  } finally {
    await w.server.close();
  }
});

Deno.test("faults: failed acks are retried, and never re-apply a message", async () => {
  const w = await world();
  try {
    await addBob(w, true);
    await w.say("one");
    w.watch.failAcks = 2; // within the budget
    await w.bob.client.sync();
    assert.equal(w.watch.failAcks, 0, "the fault was hit");
    assert.deepEqual(w.bob.texts, ["one"]);
    assert.equal((await w.bob.client.http.inbox()).messages.length, 0);

    await w.alice.client.update(w.gid);
    await w.say("two");
    w.watch.failAcks = Infinity; // beyond it
    await assert.rejects(
      () => w.bob.client.sync(),
      (e) => e instanceof DeliveryError && e.status === 503,
    );
    assert.deepEqual(w.bob.texts, ["one", "two"]); // applied, once
    w.watch.failAcks = 0;
    await w.say("three");
    await w.bob.client.sync();
    assert.ok(!w.bob.events.some((e) => e.type === "error"));
    await assertCaughtUp(w, ["one", "two", "three"]);
  } finally {
    await w.server.close();
  }
});

Deno.test("faults: network failures of the inbox fetch and the ack are retried", async () => {
  const w = await world();
  const realFetch = globalThis.fetch;
  let failures = 0;
  try {
    await addBob(w, true);
    await w.alice.client.update(w.gid);
    await w.say("one");
    // Fail bob's next inbox fetch and ack once each, as a dropped connection.
    const pending = new Set(["GET /v1/inbox", "POST /v1/inbox/ack"]);
    globalThis.fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const what = `${init?.method ?? "GET"} ${url.pathname}`;
      const auth = new Headers(init?.headers).get("authorization");
      if (auth === `Bearer ${w.bob.client.token}` && pending.delete(what)) {
        failures++;
        return Promise.reject(new TypeError("injected network failure"));
      }
      return realFetch(input, init);
    };
    await w.bob.client.sync();
    assert.equal(failures, 2, "both faults were hit");
    globalThis.fetch = realFetch;
    assert.ok(!w.bob.events.some((e) => e.type === "error"));
    await assertCaughtUp(w, ["one"]);
  } finally {
    globalThis.fetch = realFetch;
    await w.server.close();
  }
});

Deno.test("faults: listen() stops at a failed message and resumes from it once the fault clears", async () => {
  const w = await world();
  const listener = { close: () => {} };
  try {
    await addBob(w, true);
    w.bob.storage.fail({ op: "batch", match: groupWrite });
    const listening = w.bob.client.listen();
    listener.close = () => listening.close();
    await w.alice.client.update(w.gid);
    await w.say("one");
    await w.say("two");
    // The first report: stopped at the commit (or, wrongly, skipped it).
    const first = await w.bob.waitFor((e) => e.type === "error");
    assert.ok(stalled(first), "the commit is not skipped");
    assert.equal(w.bob.views.get(w.gid)!.epoch, 1n);
    w.bob.storage.clear();
    // Resumed from the commit: both messages arrive, nothing is skipped.
    await w.bob.waitFor((e) =>
      skipped(e) ||
      (e.type === "received" && e.received.type === "application" &&
        e.received.text() === "two")
    );
    assert.ok(!w.bob.events.some(skipped), "nothing skipped");
    listener.close();
    await assertCaughtUp(w, ["one", "two"]);
  } finally {
    listener.close();
    await w.server.close();
  }
});
