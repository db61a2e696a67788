// Two processes, one Deno KV file, one member: each process loads the
// member's view and both send at once. A third member, Carol, decrypts
// every message exactly once, no (epoch, sender leaf, generation) is used
// twice, and a view loaded afterwards carries on with a fresh generation.
import assert from "node:assert/strict";
import { DenoKvStorage, MLS, MlsError } from "../../mod.ts";
import { fromBase64 } from "../../server/shared/base64.ts";
import { slotKey, slotReader } from "./generations.ts";

const CHILD = decodeURIComponent(
  new URL("./children/kv_sender.ts", import.meta.url).pathname,
);
const CONFIG = decodeURIComponent(
  new URL("../../deno.json", import.meta.url).pathname,
);

interface Sender {
  ready: Promise<void>;
  go(): Promise<void>;
  result: Promise<{ sent: Uint8Array[]; conflicts: number }>;
}

/** Starts a sender process; it sends once {@link Sender.go} is called. */
function spawnSender(args: string[]): Sender {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--unstable-kv",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      CHILD,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const { promise: ready, resolve } = Promise.withResolvers<void>();
  const result = (async () => {
    let readySeen = false;
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
      if (!readySeen && out.includes("ready\n")) {
        readySeen = true;
        resolve();
      }
    }
    const [status, err] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    if (!status.success) throw new Error(`sender failed: ${out}\n${err}`);
    const last = out.trim().split("\n").pop()!;
    const r = JSON.parse(last) as { sent: string[]; conflicts: number };
    return { sent: r.sent.map(fromBase64), conflicts: r.conflicts };
  })();
  // A sender that dies before `ready` fails the test through `result`.
  result.catch(() => resolve());
  const writer = child.stdin.getWriter();
  return {
    ready,
    result,
    async go() {
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
    },
  };
}

Deno.test("multi-process: two processes send as one member over one Deno KV file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-procs-" });
  const path = `${dir}/member.kv`;
  try {
    const carolMls = new MLS();
    const carolId = await carolMls.generateIdentity();
    const carol = await carolMls.groupCreate(
      carolId,
      await carolMls.generateCredential("carol"),
    );
    let kv = new DenoKvStorage(path);
    let mls = new MLS({ storage: kv });
    const alice = await mls.generateIdentity();
    const add = await carol.add(
      await mls.generateKeyPackage(alice, await mls.generateCredential("a")),
    );
    await carol.receive(add);
    await mls.groupJoin(alice, add);
    await kv.close();
    const slotOf = await slotReader(
      carolMls.storage,
      carol.groupId,
      carolId.clientId,
    );

    const n = 30;
    const senders = ["p1", "p2"].map((name) =>
      spawnSender([path, carol.groupId, alice.clientId, name, String(n)])
    );
    await Promise.all(senders.map((s) => s.ready));
    await Promise.all(senders.map((s) => s.go()));
    const results = await Promise.all(senders.map((s) => s.result));
    const conflicts = results.map((r) => r.conflicts);
    console.log(`conditional batches lost to the other process: ${conflicts}`);

    const sent = results.flatMap((r, p) =>
      r.sent.map((m, i) => ({ m, text: `p${p + 1} ${i}` }))
    );
    assert.equal(sent.length, 2 * n);
    const slots = await Promise.all(sent.map((s) => slotOf(s.m)));
    const keys = new Set(slots.map(slotKey));
    assert.equal(keys.size, sent.length, "a generation was used twice");
    const order = sent.map((_, i) => i).sort((x, y) =>
      slots[x].generation - slots[y].generation
    );
    for (const i of order) {
      const r = await carol.receive(sent[i].m);
      assert.equal(r.type === "application" && r.text(), sent[i].text);
      await assert.rejects(
        carol.receive(sent[i].m),
        (e) => e instanceof MlsError && e.code === "generation_too_old",
      );
    }

    // A view loaded afterwards lost nothing: its next generation is fresh.
    kv = new DenoKvStorage(path);
    mls = new MLS({ storage: kv });
    const again = (await mls.groupGet(carol.groupId, alice.clientId))!;
    const m = await again.send("after");
    const top = Math.max(...slots.map((s) => s.generation));
    assert.equal((await slotOf(m)).generation, top + 1);
    const r = await carol.receive(m);
    assert.equal(r.type === "application" && r.text(), "after");
    await kv.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
