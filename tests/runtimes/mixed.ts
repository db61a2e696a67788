/**
 * One group whose members run on different runtimes, through the delivery
 * service (server/app.ts, in this process on a loopback port): Deno creates
 * the group and adds members on Node and Bun (the npm package), workerd,
 * Chromium and Firefox ESR (the library and delivery client bundled
 * together); every one sends a message that all others read; members on
 * Node, Firefox and workerd commit updates; Bun removes workerd; a last
 * message; the remaining members agree on epoch, membership and exporter.
 * Once with suite 1 (X25519, Ed25519) and once with suite 2 (P-256, where
 * Firefox takes the `@noble/curves` path for HPKE public keys).
 *
 * Every member runs tests/runtimes/agent.mjs. The coordinator (here) sends
 * it one command at a time: in-process on Deno, by POST to workerd, and by
 * the member's long poll of `/ctl/next` (Node, Bun, browsers), whose
 * answer comes back on `/ctl/reply`. The browser page is served by the
 * same server as the service, so the page and the service share an origin.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as lib from "../../mod.ts";
import * as delivery from "../../delivery.ts";
import { createApp } from "../../server/app.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { CHROMIUM } from "../chromium.ts";
import { createAgent } from "./agent.mjs";
import { here, startWorkerd, type Workspace } from "./harness.ts";
import { FIREFOX } from "./tools.ts";

type Command = Record<string, unknown> & { op: string };
type Reply = { ok: boolean; value?: unknown; error?: string };

/** A member: how to send it a command. */
type Call = (cmd: Command) => Promise<unknown>;

/** Members that poll: commands waiting for them, replies awaited. */
class Control {
  #queued = new Map<string, Command[]>();
  #waiting = new Map<string, (cmd: Command) => void>();
  #replies = new Map<string, (reply: Reply) => void>();

  /** A member that polls `/ctl/next?agent=name`. */
  member(name: string): Call {
    let chain: Promise<unknown> = Promise.resolve();
    return (cmd) => {
      const next = chain.then(() => this.#send(name, cmd));
      chain = next.catch(() => {});
      return next;
    };
  }

  #send(name: string, cmd: Command): Promise<unknown> {
    const { promise, resolve } = Promise.withResolvers<Reply>();
    if (cmd.op !== "exit") this.#replies.set(name, resolve);
    const waiter = this.#waiting.get(name);
    if (waiter) {
      this.#waiting.delete(name);
      waiter(cmd);
    } else {
      this.#queued.set(name, [...(this.#queued.get(name) ?? []), cmd]);
    }
    if (cmd.op === "exit") return Promise.resolve();
    // A member that died would leave the run waiting: give up after a while.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name}: no reply to ${cmd.op} in 120 s`)),
        120_000,
      );
    });
    return Promise.race([promise, timeout]).then((r) => {
      if (!r.ok) throw new Error(`${name}: ${r.error}`);
      return r.value;
    }).finally(() => clearTimeout(timer));
  }

  /** Answers `/ctl/next` and `/ctl/reply`. */
  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const name = url.searchParams.get("agent") ?? "";
    if (url.pathname === "/ctl/next") {
      const queued = this.#queued.get(name) ?? [];
      const cmd = queued.shift() ??
        await new Promise<Command>((resolve) =>
          this.#waiting.set(name, resolve)
        );
      return Response.json(cmd);
    }
    if (url.pathname === "/ctl/reply" && req.method === "POST") {
      const reply = await req.json() as Reply;
      const resolve = this.#replies.get(name);
      this.#replies.delete(name);
      resolve?.(reply);
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  }
}

interface State {
  status: string;
  epoch?: string;
  members?: number;
  texts: string[];
  errors: string[];
  exporter?: string;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
};

/**
 * Runs the mixed-runtime group (suites 1 and 2); returns a log; throws on
 * any disagreement.
 */
export async function mixedGroup(ws: Workspace): Promise<string[]> {
  const [app, tools, bundled] = await Promise.all([
    ws.app(),
    ws.tools(),
    ws.bundle("server/chat/bundle_entry.ts"),
  ]);
  await Deno.copyFile(
    here("browser_driver.mjs"),
    `${tools.dir}/browser_driver.mjs`,
  );
  const log: string[] = [];
  const control = new Control();
  const files: Record<string, string> = {
    "/mixed/": here("mixed.html"),
    "/mixed/mixed_page.mjs": here("mixed_page.mjs"),
    "/mixed/agent.mjs": here("agent.mjs"),
    "/mixed/webmls.mjs": bundled,
  };
  const service = createApp(new MemoryStore(), { rateLimit: false });
  const ac = new AbortController();
  const { promise: listening, resolve: onListen } = Promise.withResolvers<
    number
  >();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: ({ port }) => onListen(port),
  }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/ctl/")) return await control.handle(req);
    const file = files[path];
    if (file) {
      return new Response(await Deno.readFile(file), {
        headers: { "content-type": TYPES[file.split(".").pop()!] ?? "" },
      });
    }
    return await service.fetch(req);
  });
  const origin = `http://127.0.0.1:${await listening}`;
  const ctl = `${origin}/ctl/`;

  const children: Deno.ChildProcess[] = [];
  const outputs: Promise<string>[] = [];
  const spawn = (cmd: string, args: string[], cwd: string) => {
    const child = new Deno.Command(cmd, {
      args,
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.push(child);
    outputs.push(
      child.output().then((o) =>
        `${cmd} ${args[0]}: exit ${o.code}\n${
          new TextDecoder().decode(o.stdout).slice(-2000)
        }\n${new TextDecoder().decode(o.stderr).slice(-2000)}`
      ),
    );
  };
  const workerd = await startWorkerd(tools.workerd, `${ws.dir}/mixed-workerd`, [
    ["mixed_worker.mjs", here("mixed_worker.mjs")],
    ["webmls.mjs", bundled],
    ["agent.mjs", here("agent.mjs")],
  ], { network: true });

  const members: Record<string, Call> = {
    deno: createAgent({ ...lib, ...delivery }, `deno ${Deno.version.deno}`),
    node: control.member("node"),
    bun: control.member("bun"),
    workerd: async (cmd) => {
      const reply = await (await fetch(workerd.url, {
        method: "POST",
        body: JSON.stringify(cmd),
      })).json() as Reply;
      if (!reply.ok) throw new Error(`workerd: ${reply.error}`);
      return reply.value;
    },
    chromium: control.member("chromium"),
    firefox: control.member("firefox"),
  };
  const page = (agent: string) =>
    `${origin}/mixed/?control=${encodeURIComponent(ctl)}&agent=${agent}`;
  spawn("node", ["mixed_cli.mjs", ctl, "node"], app);
  spawn(tools.bun, ["mixed_cli.mjs", ctl, "bun"], app);
  spawn(
    "node",
    ["browser_driver.mjs", page("chromium"), CHROMIUM, "chrome"],
    tools.dir,
  );
  spawn(
    "node",
    ["browser_driver.mjs", page("firefox"), FIREFOX, "firefox"],
    tools.dir,
  );

  const names = Object.keys(members);
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await f();
    log.push(`  ${what}: ${Math.round(performance.now() - t)} ms`);
    return out;
  };
  try {
    for (const suite of [1, 2]) {
      log.push(`suite ${suite}:`);
      const ids: Record<string, string> = {};
      await timed(
        "register 6 members",
        () =>
          Promise.all(names.map(async (n) => {
            const r = await members[n]({
              op: "register",
              url: origin,
              suite,
            }) as {
              clientId: string;
            };
            ids[n] = r.clientId;
          })),
      );
      const { groupId } = await members.deno({ op: "create", suite }) as {
        groupId: string;
      };
      const others = names.filter((n) => n !== "deno");
      await timed("deno adds 5 (one commit)", () =>
        members.deno({
          op: "add",
          suite,
          groupId,
          clientIds: others.map((n) => ids[n]),
        }));
      const syncAll = (who = names) =>
        Promise.all(who.map((n) => members[n]({ op: "sync", suite })));
      await timed("5 join from the Welcome", () => syncAll(others));
      await timed("each sends one message", async () => {
        for (const n of names) {
          await members[n]({
            op: "send",
            suite,
            groupId,
            text: `hello from ${n}`,
          });
        }
      });
      await timed("all receive", () => syncAll());
      for (
        const [committer, op] of [
          ["node", "update"],
          ["firefox", "update"],
          ["workerd", "update"],
        ]
      ) {
        await timed(`${committer} commits an update, all process`, async () => {
          await members[committer]({ op, suite, groupId });
          await syncAll();
        });
      }
      await timed("bun removes workerd, all process", async () => {
        await members.bun({
          op: "remove",
          suite,
          groupId,
          clientIds: [ids.workerd],
        });
        await syncAll();
      });
      const remaining = names.filter((n) => n !== "workerd");
      await timed("chromium sends, all receive", async () => {
        await members.chromium({
          op: "send",
          suite,
          groupId,
          text: "after the removal",
        });
        await syncAll(remaining);
      });

      const states: Record<string, State> = {};
      for (const n of names) {
        states[n] = await members[n]({ op: "state", suite, groupId }) as State;
        assert.deepEqual(states[n].errors, [], `${n} reported errors`);
      }
      assert.equal(states.workerd.status, "removed", "workerd was removed");
      const first = states[remaining[0]];
      for (const n of remaining) {
        const s = states[n];
        assert.equal(s.status, "active", n);
        assert.equal(s.members, 5, `${n}: five members`);
        assert.equal(s.epoch, first.epoch, `${n}: one epoch`);
        assert.equal(s.exporter, first.exporter, `${n}: one exporter`);
        const expected = names.filter((o) => o !== n).map((o) =>
          `hello from ${o}`
        );
        if (n !== "chromium") expected.push("after the removal");
        assert.deepEqual(
          [...s.texts].sort(),
          expected.sort(),
          `${n} read every other member`,
        );
      }
      log.push(
        `  agreed: epoch ${first.epoch}, 5 members, exporter ${
          first.exporter!.slice(0, 16)
        }…, workerd removed`,
      );
    }
  } catch (e) {
    for (const n of ["node", "bun", "chromium", "firefox"]) {
      members[n]({ op: "exit" }).catch(() => {});
    }
    const done = await Promise.race([
      Promise.all(outputs),
      new Promise<string[]>((r) => setTimeout(() => r([]), 5000)),
    ]);
    throw new Error(`${e instanceof Error ? e.stack : e}\n${done.join("\n")}`);
  } finally {
    for (const n of ["node", "bun", "chromium", "firefox"]) {
      members[n]({ op: "exit" }).catch(() => {});
    }
    const timer = setTimeout(() => {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch { /* exited */ }
      }
    }, 20_000);
    const out = await Promise.all(outputs);
    clearTimeout(timer);
    await workerd.close();
    ac.abort();
    await server.finished;
    for (const o of out) {
      if (!/exit 0/.test(o.split("\n")[0])) log.push(o);
    }
  }
  return log;
}
