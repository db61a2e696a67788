/**
 * `crypto.subtle` calls per HPKE operation of the suite-1 provider, as
 * TreeKEM makes them (`deno run -A bench/hpke_calls.ts [--js-kdf]
 * [--webcrypto-kdf]`): one seal of a batch to many recipients (a commit's
 * path secrets, after the recipients' keys were imported once), a single
 * seal to a new key, an open, `DeriveKeyPair` (a path node's key pair) and
 * a fresh key pair. Also the time of each (median of many, noisy on a
 * shared machine).
 *
 * @module
 */

import { createProvider, defaultProvider } from "../providers/mod.ts";
import { SUBTLE_METHODS } from "../tests/subtle_methods.ts";

const kdf = Deno.args.includes("--js-kdf")
  ? "js"
  : Deno.args.includes("--webcrypto-kdf")
  ? "webcrypto"
  : undefined;
const provider = kdf ? createProvider({ kdf }) : defaultProvider();
const cs = await provider.suite(1);

const counts: Record<string, number> = {};
let counting = false;
const subtle = crypto.subtle as unknown as Record<
  string,
  (...a: unknown[]) => Promise<unknown>
>;
for (
  const m of SUBTLE_METHODS
) {
  const orig = subtle[m].bind(crypto.subtle);
  subtle[m] = (...a: unknown[]) => {
    if (counting) {
      const alg = a[0] as string | { name?: string };
      const name = m === "importKey" || m === "exportKey"
        ? `${m}(${a[0]}${
          a[2] ? `,${(a[2] as { name?: string })?.name ?? a[2]}` : ""
        })`
        : `${m}(${typeof alg === "string" ? alg : alg?.name ?? ""})`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return orig(...a);
  };
}

async function count(
  label: string,
  per: number,
  f: () => Promise<unknown>,
): Promise<void> {
  for (const k of Object.keys(counts)) delete counts[k];
  counting = true;
  await f();
  counting = false;
  const total = Object.values(counts).reduce((a, b) => a + b, 0) / per;
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await f();
    times.push((performance.now() - t0) / per);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label}: ${total.toFixed(1)} calls, ${
      (times[7] * 1000).toFixed(0)
    } µs (median)`,
  );
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(v / per).toFixed(2).padStart(6)}  ${k}`);
  }
}

const N = 64;
const recipients = await Promise.all(
  Array.from({ length: N }, () => cs.hpkeGenerateKeyPair()),
);
const info = new TextEncoder().encode("a GroupContext".repeat(10));
const pt = cs.randomBytes(32);
const batch = recipients.map((r) => ({
  publicKey: r.publicKey,
  plaintext: pt,
}));
// The recipients' keys are imported by a first batch, as in a group whose
// members' keys the committer has seen before.
await cs.hpkeSealMany!(batch, info, new Uint8Array(0));

console.log(`provider: ${provider.name}`);
await count(
  `seal, one of a batch of ${N}`,
  N,
  () => cs.hpkeSealMany!(batch, info, new Uint8Array(0)),
);
const sealed = await cs.hpkeSeal(recipients[0].publicKey, info, pt, pt);
await count(
  "open",
  1,
  () =>
    cs.hpkeOpen(
      recipients[0].privateKey,
      sealed.kemOutput,
      info,
      pt,
      sealed.ciphertext,
    ),
);
await count(
  "DeriveKeyPair (a path node)",
  1,
  () => cs.hpkeDeriveKeyPair(cs.randomBytes(32)),
);
await count("fresh key pair", 1, () => cs.hpkeGenerateKeyPair());
