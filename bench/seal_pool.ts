/**
 * Would HPKE seals spread over worker threads make a commit faster? Seals
 * `N` path secrets (one commit's worth: N = members − 1) with the default
 * provider in three ways, interleaved, and prints the medians:
 *
 * - `main`: all on this thread (what webmls does);
 * - `split`: this thread takes a share, each of `W` workers an equal share;
 * - `workers`: the workers take all of them.
 *
 * `deno run -A bench/seal_pool.ts [N] [W]` (defaults 99 and 1). X25519 key
 * generation and Diffie-Hellman are synchronous in Deno's WebCrypto, so
 * only another thread can run them in parallel; the time a worker needs to
 * start (loading `@hpke/core`) is not counted, nor is it in the library.
 *
 * @module
 */

import { defaultProvider } from "../providers/mod.ts";
import type { HpkeRecipient } from "../providers/provider.ts";

const WORKER = `
import { defaultProvider } from ${
  JSON.stringify(
    new URL("../providers/mod.ts", import.meta.url).href,
  )
};
const cs = await defaultProvider().suite(1);
self.onmessage = async (e) => {
  const { id, recipients, info, aad } = e.data;
  self.postMessage({ id, out: await cs.hpkeSealMany(recipients, info, aad) });
};
self.postMessage({ ready: true });
`;

const N = Number(Deno.args[0] ?? 99);
const W = Number(Deno.args[1] ?? 1);
const ROUNDS = 40;
const cs = await defaultProvider().suite(1);

const url = URL.createObjectURL(
  new Blob([WORKER], { type: "application/javascript" }),
);
const workers: Worker[] = [];
for (let i = 0; i < W; i++) {
  const w = new Worker(url, { type: "module" });
  await new Promise((r) => (w.onmessage = r));
  workers.push(w);
}
let next = 0;
const pending = new Map<number, (v: unknown) => void>();
for (const w of workers) {
  w.onmessage = (e) => {
    pending.get(e.data.id)!(e.data.out);
    pending.delete(e.data.id);
  };
}
function remote(
  w: Worker,
  recipients: HpkeRecipient[],
  info: Uint8Array,
  aad: Uint8Array,
): Promise<unknown> {
  const id = next++;
  return new Promise((r) => {
    pending.set(id, r);
    w.postMessage({ id, recipients, info, aad });
  });
}

const keys = await Promise.all(
  Array.from({ length: N }, () => cs.hpkeGenerateKeyPair()),
);
const pt = cs.randomBytes(32);
const rec = keys.map((k) => ({ publicKey: k.publicKey, plaintext: pt }));
const info = cs.randomBytes(200);
const aad = new Uint8Array(0);
const modes: Record<string, () => Promise<unknown>> = {
  main: () => cs.hpkeSealMany!(rec, info, aad),
  split: () => {
    const size = Math.ceil(N / (W + 1));
    return Promise.all([
      cs.hpkeSealMany!(rec.slice(0, size), info, aad),
      ...workers.map((w, i) =>
        remote(w, rec.slice((i + 1) * size, (i + 2) * size), info, aad)
      ),
    ]);
  },
  workers: () => {
    const size = Math.ceil(N / W);
    return Promise.all(
      workers.map((w, i) =>
        remote(w, rec.slice(i * size, (i + 1) * size), info, aad)
      ),
    );
  },
};
const times: Record<string, number[]> = { main: [], split: [], workers: [] };
for (let r = 0; r < ROUNDS + 2; r++) {
  const order = Object.keys(modes);
  for (const m of r % 2 ? order.reverse() : order) {
    const t0 = performance.now();
    await modes[m]();
    if (r >= 2) times[m].push(performance.now() - t0);
  }
}
console.log(
  `${N} seals, ${W} worker(s), load average ${
    Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
  }`,
);
for (const [m, xs] of Object.entries(times)) {
  xs.sort((a, b) => a - b);
  console.log(
    `  ${m.padEnd(8)} median ${xs[xs.length >> 1].toFixed(2)} ms (quartiles ${
      xs[xs.length >> 2].toFixed(2)
    }–${xs[(3 * xs.length) >> 2].toFixed(2)})`,
  );
}
for (const w of workers) w.terminate();
URL.revokeObjectURL(url);
