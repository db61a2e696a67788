/**
 * The delivery service's integration flow against a running service at
 * `url`, whatever runtime serves it (tests/runtimes/service.ts starts it
 * on Node, Bun, Deno Deploy's shape and workerd): Welcome routing,
 * ordering, `409 epoch_conflict`, a long poll woken by a message, the
 * WebSocket stream (raw, then through the client), GroupInfo and an
 * external join, a removal. The clients run here, on Deno.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DeliveryError } from "../../delivery.ts";
import { client, exporter, type TestClient } from "../server/helpers.ts";

async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `c` has received `n` application texts in all. */
async function texts(c: TestClient, n: number): Promise<string[]> {
  for (let i = 0; i < 200 && c.texts.length < n; i++) {
    await c.client.sync();
    if (c.texts.length < n) await new Promise((r) => setTimeout(r, 25));
  }
  return c.texts;
}

/** One raw stream frame: opens the stream, waits for a message frame. */
function firstFrame(
  c: TestClient,
  trigger: () => Promise<unknown>,
): Promise<{ protocol: string; frame: { cursor?: string; kind?: string } }> {
  const ws = c.client.http.stream(undefined);
  const { promise, resolve, reject } = Promise.withResolvers<
    { protocol: string; frame: { cursor?: string; kind?: string } }
  >();
  ws.onopen = () => trigger().catch(reject);
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data));
    if (frame.type === "ping") return;
    resolve({ protocol: ws.protocol, frame });
    ws.close();
  };
  ws.onerror = () => reject(new Error("stream failed"));
  return promise;
}

/**
 * Runs the flow; returns the names of the steps that passed (it throws at
 * the first that does not).
 */
export async function serviceFlow(url: string): Promise<string[]> {
  const steps: string[] = [];
  const health = await fetch(`${url}/v1/health`);
  assert.deepEqual(await health.json(), { ok: true });
  const a = await client(url, "a");
  const b = await client(url, "b");
  const c = await client(url, "c");
  const d = await client(url, "d");
  steps.push("register");

  // Welcome routing: B's Welcome reaches B alone.
  const g = await a.client.createGroup({ externalJoins: true });
  const gid = g.groupId;
  await a.client.add(gid, [b.client.clientId]);
  await b.client.sync();
  assert.ok(b.events.some((e) => e.type === "joined"), "B joined");
  await c.client.sync();
  assert.ok(!c.events.some((e) => e.type === "joined"), "C not invited");
  steps.push("welcome");

  // Ordering: B reads A's messages in the order they were accepted.
  for (let i = 0; i < 5; i++) await a.client.send(gid, `m${i}`);
  assert.deepEqual(await texts(b, 5), ["m0", "m1", "m2", "m3", "m4"]);
  steps.push("ordering");

  // 409: a second commit for an epoch the group has left.
  const ga = (await a.client.group(gid))!;
  const out = await ga.update();
  await a.client.http.post(
    gid,
    new Uint8Array([...out.commit, ...out.groupInfo]),
  );
  await ga.receive(out.commit);
  const err = await a.client.http.post(
    gid,
    new Uint8Array([...out.commit, ...out.groupInfo]),
  ).then(() => null, (e) => e);
  assert.ok(err instanceof DeliveryError, String(err));
  assert.equal(err.status, 409);
  assert.equal(err.code, "epoch_conflict");
  await b.client.sync();
  steps.push("409");

  // Long poll: B waits; A's message wakes it well before the deadline.
  const t0 = Date.now();
  const polled = b.client.sync({ wait: 20 });
  await new Promise((r) => setTimeout(r, 300));
  await a.client.send(gid, "polled");
  assert.equal(await within("long poll", 10_000, polled), 1);
  assert.equal(b.texts.at(-1), "polled");
  assert.ok(Date.now() - t0 < 10_000);
  steps.push("long-poll");

  // WebSocket: the raw stream answers the subprotocol and pushes a frame.
  const raw = await within(
    "raw stream",
    10_000,
    firstFrame(b, () => a.client.send(gid, "streamed")),
  );
  assert.equal(raw.protocol, "webmls.v1");
  // Only the stream's own subprotocol is ever answered, never the token's.
  const auth = `webmls.auth.${b.client.token}`;
  const stream = url.replace("http", "ws") + "/v1/inbox/stream";
  assert.equal(
    await within("auth only", 10_000, protocolOf(stream, [auth])),
    null,
  );
  assert.equal(
    await within("reversed", 10_000, protocolOf(stream, [auth, "webmls.v1"])),
    "webmls.v1",
  );
  assert.equal(raw.frame.kind, "application");
  assert.equal(typeof raw.frame.cursor, "string");
  // Through the client: live messages over the stream.
  const live = Promise.withResolvers<void>();
  const seen = b.texts.length;
  b.client.onEvent = (e) => { // what helpers.ts records, and a signal
    b.events.push(e);
    if (e.type === "received" && e.received.type === "application") {
      b.texts.push(e.received.text());
      if (b.texts.at(-1) === "live 2") live.resolve();
    }
  };
  const listener = b.client.listen();
  for (let i = 0; i < 3; i++) await a.client.send(gid, `live ${i}`);
  await within("stream", 10_000, live.promise);
  listener.close();
  assert.deepEqual(b.texts.slice(seen), [
    "streamed",
    "live 0",
    "live 1",
    "live 2",
  ]);
  steps.push("websocket");

  // GroupInfo: C joins by external commit from the published GroupInfo.
  const info = await c.client.http.groupInfo(gid).then(
    () => "member?",
    (e) => e instanceof DeliveryError ? e.code : String(e),
  );
  // Externally joinable: a non-member may fetch it.
  assert.equal(info, "member?");
  await c.client.joinExternal(gid);
  await a.client.sync();
  await b.client.sync();
  await a.client.send(gid, "hello c");
  assert.equal((await texts(c, 1)).at(-1), "hello c");
  assert.equal(await exporter(a, gid), await exporter(c, gid));
  assert.equal(await exporter(b, gid), await exporter(c, gid));
  steps.push("groupinfo");

  // A removal: B learns it is out and gets nothing after; D, never in,
  // has an empty inbox throughout.
  await b.client.sync();
  const before = b.events.length;
  await a.client.remove(gid, [b.client.clientId]);
  assert.equal(await b.client.sync(), 1, "B gets the commit removing it");
  assert.ok(b.events.slice(before).some((e) => e.type === "received"));
  await a.client.send(gid, "after b");
  await c.client.sync();
  assert.equal(c.texts.at(-1), "after b");
  assert.equal((await b.client.http.inbox()).messages.length, 0);
  assert.equal((await d.client.http.inbox()).messages.length, 0);
  steps.push("removal");
  return steps;
}

/** Opens a WebSocket with `protocols`: its protocol, or `null` if refused. */
function protocolOf(url: string, protocols: string[]): Promise<string | null> {
  const ws = new WebSocket(url, protocols);
  return new Promise((resolve) => {
    ws.onopen = () => {
      resolve(ws.protocol);
      ws.close();
    };
    ws.onerror = () => resolve(null);
  });
}

/** Resolves when `ws` opens (true) or fails or closes first (false). */
function opened(ws: WebSocket): Promise<boolean> {
  return new Promise((resolve) => {
    ws.onopen = () => resolve(true);
    ws.onerror = () => resolve(false);
    ws.onclose = () => resolve(false);
  });
}

/**
 * A client's open streams are capped at `max` (`maxStreamsPerToken`): one
 * more is refused, and closing one frees its slot.
 */
export async function streamCap(url: string, max: number): Promise<void> {
  const a = await client(url, "cap");
  const open: WebSocket[] = [];
  try {
    for (let i = 0; i < max; i++) {
      const ws = a.client.http.stream(undefined);
      open.push(ws);
      assert.equal(await within("stream", 10_000, opened(ws)), true);
    }
    const extra = a.client.http.stream(undefined);
    assert.equal(
      await within("refusal", 10_000, opened(extra)),
      false,
      `stream ${max + 1} refused`,
    );
    const first = open.shift()!;
    const gone = new Promise((r) => first.addEventListener("close", r));
    first.close();
    await gone;
    // The server sees the close a moment later.
    let again = false;
    for (let i = 0; i < 50 && !again; i++) {
      const ws = a.client.http.stream(undefined);
      again = await within("reopen", 10_000, opened(ws));
      if (again) open.push(ws);
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(again, "a closed stream frees its slot");
  } finally {
    for (const ws of open) ws.close();
  }
}

/**
 * The close code of a stream after its client sends a frame of `bytes`
 * (an acknowledgement padded with spaces, valid JSON whatever its size).
 */
export async function closeAfterFrame(
  url: string,
  bytes: number,
): Promise<number> {
  const a = await client(url, "frame");
  const ws = a.client.http.stream(undefined);
  assert.equal(await within("stream", 10_000, opened(ws)), true);
  const closed = new Promise<number>((r) =>
    ws.addEventListener("close", (e) => r(e.code))
  );
  ws.send(`{"type":"ping"}${" ".repeat(bytes - 15)}`);
  return await within("close", 10_000, closed);
}
