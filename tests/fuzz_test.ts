// Deterministic mutation fuzzing of the decoders: every official `messages`
// vector is mutated (bit flips, byte inserts and deletes, truncation,
// corrupted length headers, splices) and decoded. Whatever is thrown must be
// an MlsError; whatever decodes must re-encode to exactly the same bytes
// (the encoding is canonical, RFC 9420 §2.1.2).
import assert from "node:assert/strict";
import { type Codec, decode, encode } from "../src/codec/codec.ts";
import { MlsError } from "../src/errors.ts";
import { ContentType } from "../src/framing/content_type.ts";
import { mlsMessageCodec } from "../src/framing/mls_message.ts";
import { privateMessageContentCodec } from "../src/framing/private_message.ts";
import { proposalCodec } from "../src/messages/proposal.ts";
import { fromHex, toHex } from "../src/util/bytes.ts";
import { loadVectors } from "./vectors/harness.ts";
import { plain } from "./vectors/messages.ts";

const SEED = 0x5eed_1234;
const ROUNDS = 40;

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codecs: Record<string, Codec<unknown>> = {
  ...plain,
  mls_welcome: mlsMessageCodec,
  mls_group_info: mlsMessageCodec,
  mls_key_package: mlsMessageCodec,
  public_message_application: mlsMessageCodec,
  public_message_proposal: mlsMessageCodec,
  public_message_commit: mlsMessageCodec,
  private_message: mlsMessageCodec,
};

interface Sample {
  name: string;
  codec: Codec<unknown>;
  bytes: Uint8Array;
}

const corpus: Sample[] = [];
for (const entry of loadVectors("messages.json")) {
  for (const [name, codec] of Object.entries(codecs)) {
    corpus.push({ name, codec, bytes: fromHex(entry[name]) });
  }
}
// Proposals with their type, and PrivateMessageContent plaintexts.
for (const s of corpus.filter((s) => s.name === "add_proposal").slice(0, 50)) {
  corpus.push({
    name: "proposal",
    codec: proposalCodec,
    bytes: Uint8Array.of(0, 1, ...s.bytes),
  });
}
for (const t of [ContentType.application, ContentType.proposal]) {
  const codec = privateMessageContentCodec(t);
  corpus.push({
    name: `private_message_content_${t}`,
    codec,
    bytes: t === ContentType.application
      ? Uint8Array.of(3, 1, 2, 3, 1, 9, 0, 0, 0)
      : Uint8Array.of(0, 3, 0, 0, 0, 7, 2, 8, 8, 0, 0),
  });
}

/** A random variable-length header, valid or not. */
function lengthHeader(rand: () => number): number[] {
  const n = Math.floor(rand() * 0x3fffffff);
  switch (Math.floor(rand() * 6)) {
    case 0:
      return [n & 0x3f];
    case 1:
      return [0x40 | ((n >> 8) & 0x3f), n & 0xff];
    case 2:
      return [0x80 | ((n >> 24) & 0x3f), (n >> 16) & 0xff, (n >> 8) & 0xff, n];
    case 3:
      return [0xbf, 0xff, 0xff, 0xff];
    case 4:
      return [0x40, n & 0x3f]; // non-minimal
    default:
      return [0xc0 | (n & 0x3f)]; // reserved prefix
  }
}

function mutate(b: Uint8Array, rand: () => number): Uint8Array {
  let out = Array.from(b);
  const at = () => Math.floor(rand() * (out.length + 1));
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) {
    const i = Math.min(at(), Math.max(out.length - 1, 0));
    switch (Math.floor(rand() * 8)) {
      case 0: // bit flip
        if (out.length) out[i] ^= 1 << Math.floor(rand() * 8);
        break;
      case 1: // byte insert
        out.splice(at(), 0, Math.floor(rand() * 256));
        break;
      case 2: // byte delete
        out.splice(i, 1);
        break;
      case 3: // truncation
        out = out.slice(0, at());
        break;
      case 4: // length header overwrite
        {
          const h = lengthHeader(rand);
          out.splice(i, h.length, ...h);
        }
        break;
      case 5: // length header insert
        out.splice(at(), 0, ...lengthHeader(rand));
        break;
      case 6: // interesting byte
        if (out.length) out[i] = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xff][i % 7];
        break;
      default: // duplicate a slice
      {
        const j = at();
        out.splice(at(), 0, ...out.slice(j, j + Math.floor(rand() * 64)));
      }
    }
  }
  return Uint8Array.from(out);
}

Deno.test("fuzz: the unmutated corpus decodes and re-encodes", () => {
  for (const s of corpus) {
    assert.equal(
      toHex(encode(s.codec, decode(s.codec, s.bytes, s.name))),
      toHex(s.bytes),
      s.name,
    );
  }
});

Deno.test("fuzz: mutated vector messages throw only MlsError", () => {
  const rand = prng(SEED);
  const failures: string[] = [];
  const codes = new Map<string, number>();
  let decoded = 0, total = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of corpus) {
      const input = mutate(s.bytes, rand);
      total++;
      let value: unknown;
      try {
        value = decode(s.codec, input, s.name);
      } catch (e) {
        if (e instanceof MlsError && e.field) {
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        } else if (failures.length < 5) {
          failures.push(`${s.name} ${toHex(input)}: ${(e as Error)?.stack}`);
        }
        continue;
      }
      decoded++;
      const again = toHex(encode(s.codec, value));
      if (again !== toHex(input) && failures.length < 5) {
        failures.push(`${s.name} ${toHex(input)} re-encodes as ${again}`);
      }
    }
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
  assert.ok(total >= 50_000, `${total} inputs`);
  // Every kind of rejection the mutations aim at was reached.
  for (
    const c of [
      "truncated",
      "trailing_bytes",
      "invalid_varint",
      "non_minimal_varint",
      "unknown_enum",
      "invalid_value",
    ]
  ) {
    assert.ok((codes.get(c) ?? 0) > 0, `no ${c}: ${[...codes]}`);
  }
  assert.ok(decoded > 0);
  if (Deno.env.get("FUZZ_VERBOSE")) {
    console.log({ total, decoded, codes: Object.fromEntries(codes) });
  }
});
