/**
 * The first commit a member processes after loading its state from bytes,
 * with the stored tree hashes of state format 2 and without them (the same
 * bytes rewritten as format 1, whose loaded tree hashes all 2n − 1 nodes at
 * its first change):
 *
 * ```sh
 * deno run -A bench/loaded_commit.ts 1000 10000
 * ```
 *
 * Prints, per group size, the median of load + process over a few runs.
 *
 * @module
 */

import { defaultProvider } from "../providers/mod.ts";
import { decode, encode } from "../src/codec/codec.ts";
import { mlsMessageCodec } from "../src/framing/mls_message.ts";
import { createCommit, welcomeMessage } from "../src/group/commit.ts";
import { createGroup } from "../src/group/create.ts";
import { generateKeyPackage } from "../src/group/key_package.ts";
import { receiveMessage } from "../src/group/receive.ts";
import {
  deserializeGroupState,
  serializeGroupState,
} from "../src/group/stored/serialize.ts";
import { joinFromWelcome } from "../src/group/welcome.ts";
import type { Credential } from "../src/messages/credential.ts";

const provider = defaultProvider();
const cs = await provider.suite(1);
const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [1000];
const runs = 5;

function credential(name: string): Credential {
  return { credentialType: 1, identity: new TextEncoder().encode(name) };
}

/** The state bytes without their tree hashes, as format version 1. */
function asVersion1(bytes: Uint8Array, entries: number): Uint8Array {
  const body = entries * (4 + 1 + cs.hashLength);
  const header = body < 0x40 ? 1 : body < 0x4000 ? 2 : 4;
  const v1 = bytes.slice(0, bytes.length - (1 + header + body));
  v1[5] = 1;
  return v1;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const n of sizes) {
  const signer = await cs.signatureGenerateKeyPair();
  const creator = await createGroup(cs, credential("creator"), signer);
  const members = [];
  for (let i = 1; i < n; i += 64) {
    members.push(
      ...await Promise.all(
        Array.from({ length: Math.min(64, n - i) }, async (_, k) => {
          const s = await cs.signatureGenerateKeyPair();
          return {
            signer: s,
            kp: await generateKeyPackage(cs, credential(`m${i + k}`), s),
          };
        }),
      ),
    );
  }
  const add = await createCommit(creator, {
    proposals: members.map((m) => ({
      proposalType: 1 as const,
      keyPackage: m.kp.keyPackage,
    })),
  });
  const last = members[members.length - 1];
  const welcome = decode(
    mlsMessageCodec,
    encode(mlsMessageCodec, welcomeMessage(add.welcome!)),
    "MLSMessage",
  );
  if (!("welcome" in welcome)) throw new Error("no welcome");
  const { state: joined } = await joinFromWelcome(cs, welcome.welcome, {
    keyPackage: last.kp.keyPackage,
    ...last.kp.privateKeys,
    signer: last.signer.privateKey,
  });
  const commitBytes = encode(
    mlsMessageCodec,
    (await createCommit(add.state)).message,
  );
  const v2 = serializeGroupState(joined);
  const v1 = asVersion1(v2, joined.tree.cachedHashes(cs, 4).length);
  const times: Record<string, number[]> = { v1: [], v2: [] };
  for (let r = 0; r < runs; r++) {
    for (const [name, bytes] of [["v1", v1], ["v2", v2]] as const) {
      const t0 = performance.now();
      const s = await deserializeGroupState(bytes, provider);
      const m = decode(mlsMessageCodec, commitBytes, "MLSMessage");
      const out = await receiveMessage(s, m);
      times[name].push(performance.now() - t0);
      if (out.kind !== "commit") throw new Error(`unexpected ${out.kind}`);
    }
  }
  console.log(
    `${n} members: load + process a commit ${
      median(times.v1).toFixed(1)
    } ms without stored tree hashes, ${
      median(times.v2).toFixed(1)
    } ms with them (state ${v1.length} → ${v2.length} bytes)`,
  );
}
