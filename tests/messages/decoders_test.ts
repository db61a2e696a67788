// Every top-level decoder rejects malformed input with an MlsError carrying
// a stable code and the failing field: truncation, trailing bytes, over-long
// vectors, non-minimal and reserved varint headers (RFC 9420 §2.1.2), and
// unknown values of closed enums.
import assert from "node:assert/strict";
import { type Codec, decode, encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { authenticatedContentCodec } from "../../src/framing/authenticated_content.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import {
  framedContentAuthDataCodec,
  framedContentCodec,
} from "../../src/framing/framed_content.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import {
  privateMessageCodec,
  type PrivateMessageContent,
  privateMessageContentCodec,
  senderDataCodec,
} from "../../src/framing/private_message.ts";
import { publicMessageCodec } from "../../src/framing/public_message.ts";
import { commitCodec } from "../../src/messages/commit.ts";
import { credentialCodec } from "../../src/messages/credential.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { groupInfoCodec } from "../../src/messages/group_info.ts";
import { groupSecretsCodec } from "../../src/messages/group_secrets.ts";
import { keyPackageCodec } from "../../src/messages/key_package.ts";
import { leafNodeCodec } from "../../src/messages/leaf_node.ts";
import { addCodec, proposalCodec } from "../../src/messages/proposal.ts";
import { preSharedKeyIDCodec } from "../../src/messages/psk.ts";
import {
  nodeCodec,
  ratchetTreeCodec,
} from "../../src/messages/ratchet_tree.ts";
import { updatePathCodec } from "../../src/messages/update_path.ts";
import { welcomeCodec } from "../../src/messages/welcome.ts";
import { concat, fromHex } from "../../src/util/bytes.ts";
import { VECTORS_DIR } from "../vectors/harness.ts";

const messages = JSON.parse(
  Deno.readTextFileSync(new URL("messages.json", VECTORS_DIR)),
)[0];
const transcript = JSON.parse(
  Deno.readTextFileSync(new URL("transcript-hashes.json", VECTORS_DIR)),
)[0];

function mls(hex: string): MLSMessage {
  return decode(mlsMessageCodec, fromHex(hex), "MLSMessage");
}

const kpMsg = mls(messages.mls_key_package);
const commitMsg = mls(messages.public_message_commit);
assert.ok(kpMsg.wireFormat === 5 && commitMsg.wireFormat === 1);
const keyPackage = kpMsg.keyPackage;
const commitContent = commitMsg.publicMessage.content;
assert.ok(commitContent.contentType === ContentType.commit);
assert.ok(commitContent.commit.path, "sample commit has a path");
const groupInfoMsg = mls(messages.mls_group_info);
assert.ok(groupInfoMsg.wireFormat === 4);
const groupSecrets = decode(
  groupSecretsCodec,
  fromHex(messages.group_secrets),
  "GroupSecrets",
);

/** A decoder, a valid input, and where its structure is known. */
interface Case {
  name: string;
  codec: Codec<unknown>;
  bytes: Uint8Array;
  /** offset of a vector length header */
  vectorAt: number;
  /** field names (without the top-level name) of closed enums in `bytes` */
  enums: string[];
}

const lnEnums = ["credential.credentialType", "leafNodeSource"];
const cases: Case[] = [
  {
    name: "MLSMessage",
    codec: mlsMessageCodec,
    bytes: fromHex(messages.public_message_commit),
    vectorAt: 4,
    enums: [
      "version",
      "wireFormat",
      "publicMessage.content.sender.senderType",
      "publicMessage.content.contentType",
      "publicMessage.content.commit.proposals[].type",
      ...lnEnums.map((e) => `publicMessage.content.commit.path.leafNode.${e}`),
    ],
  },
  {
    name: "KeyPackage",
    codec: keyPackageCodec,
    bytes: encode(keyPackageCodec, keyPackage),
    vectorAt: 4,
    enums: ["version", ...lnEnums.map((e) => `leafNode.${e}`)],
  },
  {
    name: "Welcome",
    codec: welcomeCodec,
    bytes: fromHex(messages.mls_welcome).subarray(4),
    vectorAt: 2,
    enums: [],
  },
  {
    name: "GroupInfo",
    codec: groupInfoCodec,
    bytes: encode(groupInfoCodec, groupInfoMsg.groupInfo),
    vectorAt: 4,
    enums: ["groupContext.version"],
  },
  {
    name: "GroupContext",
    codec: groupContextCodec,
    bytes: encode(groupContextCodec, groupInfoMsg.groupInfo.groupContext),
    vectorAt: 4,
    enums: ["version"],
  },
  {
    name: "GroupSecrets",
    codec: groupSecretsCodec,
    bytes: fromHex(messages.group_secrets),
    vectorAt: 0,
    enums: groupSecrets.psks.length ? ["psks[].pskType"] : [],
  },
  {
    name: "Proposal",
    codec: proposalCodec,
    bytes: encode(proposalCodec, { proposalType: 1, keyPackage }),
    vectorAt: 6,
    enums: [
      "proposalType",
      "keyPackage.version",
      ...lnEnums.map((e) => `keyPackage.leafNode.${e}`),
    ],
  },
  {
    name: "Add",
    codec: addCodec,
    bytes: fromHex(messages.add_proposal),
    vectorAt: 4,
    enums: ["keyPackage.version"],
  },
  {
    name: "Commit",
    codec: commitCodec,
    bytes: fromHex(messages.commit),
    vectorAt: 0,
    enums: ["proposals[].type"],
  },
  {
    name: "RatchetTree",
    codec: ratchetTreeCodec,
    bytes: fromHex(messages.ratchet_tree),
    vectorAt: 0,
    enums: ["[].nodeType", ...lnEnums.map((e) => `[].leafNode.${e}`)],
  },
  {
    name: "Node",
    codec: nodeCodec,
    bytes: encode(nodeCodec, { nodeType: 1, leafNode: keyPackage.leafNode }),
    vectorAt: 1,
    enums: ["nodeType", ...lnEnums.map((e) => `leafNode.${e}`)],
  },
  {
    name: "LeafNode",
    codec: leafNodeCodec,
    bytes: encode(leafNodeCodec, keyPackage.leafNode),
    vectorAt: 0,
    enums: lnEnums,
  },
  {
    name: "Credential",
    codec: credentialCodec,
    bytes: encode(credentialCodec, keyPackage.leafNode.credential),
    vectorAt: 2,
    enums: ["credentialType"],
  },
  {
    name: "UpdatePath",
    codec: updatePathCodec,
    bytes: encode(updatePathCodec, commitContent.commit.path),
    vectorAt: 0,
    enums: lnEnums.map((e) => `leafNode.${e}`),
  },
  {
    name: "PublicMessage",
    codec: publicMessageCodec,
    bytes: fromHex(messages.public_message_proposal).subarray(4),
    vectorAt: 0,
    enums: ["content.sender.senderType", "content.contentType"],
  },
  {
    name: "FramedContent",
    codec: framedContentCodec,
    bytes: encode(framedContentCodec, commitContent),
    vectorAt: 0,
    enums: ["sender.senderType", "contentType", "commit.proposals[].type"],
  },
  {
    name: "AuthenticatedContent",
    codec: authenticatedContentCodec,
    bytes: fromHex(transcript.authenticated_content),
    vectorAt: 2,
    enums: ["wireFormat", "content.sender.senderType", "content.contentType"],
  },
  {
    name: "PrivateMessage",
    codec: privateMessageCodec,
    bytes: fromHex(messages.private_message).subarray(4),
    vectorAt: 0,
    enums: ["contentType"],
  },
  {
    name: "SenderData",
    codec: senderDataCodec,
    bytes: encode(senderDataCodec, {
      leafIndex: 3,
      generation: 9,
      reuseGuard: new Uint8Array([1, 2, 3, 4]),
    }),
    vectorAt: -1,
    enums: [],
  },
];
if (groupSecrets.psks.length) {
  cases.push({
    name: "PreSharedKeyID",
    codec: preSharedKeyIDCodec,
    bytes: encode(preSharedKeyIDCodec, groupSecrets.psks[0]),
    vectorAt: 1,
    enums: ["pskType"],
  });
}

/** Runs `f`, asserting it throws an MlsError with `code`; returns it. */
function rejects(f: () => unknown, code: string, what: string): MlsError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof MlsError, `${what}: not an MlsError: ${e}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.ok(e.field && e.field.length > 0, `${what}: empty field`);
    return e;
  }
  assert.fail(`${what}: decoded without error`);
}

/** The length header at `at`: its width in bytes and its value. */
function header(b: Uint8Array, at: number): { width: number; n: number } {
  const width = 1 << (b[at] >> 6);
  let n = b[at] & 0x3f;
  for (let i = 1; i < width; i++) n = n * 256 + b[at + i];
  return { width, n };
}

/** `b` with the `width`-byte header at `at` replaced by `replacement`. */
function splice(
  b: Uint8Array,
  at: number,
  width: number,
  replacement: number[],
): Uint8Array {
  return concat(
    b.subarray(0, at),
    new Uint8Array(replacement),
    b.subarray(at + width),
  );
}

for (const c of cases) {
  const run = (b: Uint8Array) => decode(c.codec, b, c.name);

  Deno.test(`decoders: ${c.name} accepts its sample`, () => {
    const v = run(c.bytes);
    assert.deepEqual(encode(c.codec, v), c.bytes);
  });

  Deno.test(`decoders: ${c.name} rejects every truncation`, () => {
    for (let n = 0; n < c.bytes.length; n++) {
      rejects(() => run(c.bytes.subarray(0, n)), "truncated", `prefix ${n}`);
    }
  });

  Deno.test(`decoders: ${c.name} rejects trailing bytes`, () => {
    for (const extra of [[0], [1, 2, 3]]) {
      const e = rejects(
        () => run(concat(c.bytes, new Uint8Array(extra))),
        "trailing_bytes",
        "trailing",
      );
      assert.equal(e.field, c.name);
    }
  });

  if (c.vectorAt >= 0) {
    Deno.test(`decoders: ${c.name} rejects bad vector headers`, () => {
      const { width, n } = header(c.bytes, c.vectorAt);
      assert.ok(width <= 2, "sample header fits in two bytes");
      // Over-long: a length beyond the end of the input.
      rejects(
        () => run(splice(c.bytes, c.vectorAt, width, [0xbf, 0xff, 0xff, 0xff])),
        "truncated",
        "over-long vector",
      );
      rejects(
        () => run(splice(c.bytes, c.vectorAt, width, [0x7f, 0xff])),
        "truncated",
        "over-long vector (2-byte header)",
      );
      // Non-minimal: the same length in the next wider form.
      const wide = width === 1
        ? [0x40, n]
        : [0x80, 0, (n >> 8) & 0xff, n & 0xff];
      rejects(
        () => run(splice(c.bytes, c.vectorAt, width, wide)),
        "non_minimal_varint",
        "non-minimal header",
      );
      // Reserved 0b11 prefix.
      const reserved = c.bytes.slice();
      reserved[c.vectorAt] = 0xc0 | (reserved[c.vectorAt] & 0x3f);
      rejects(() => run(reserved), "invalid_varint", "0b11 prefix");
    });
  }

  Deno.test(`decoders: ${c.name} rejects unknown enum values`, () => {
    // Overwrite each byte with 0xff and with 0 (reserved); record which
    // enum fields that reaches. Every unknown_enum must name its field.
    const seen = new Set<string>();
    for (let i = 0; i < c.bytes.length; i++) {
      for (const bad of [0xff, 0x00]) {
        if (c.bytes[i] === bad) continue;
        const m = c.bytes.slice();
        m[i] = bad;
        try {
          run(m);
        } catch (e) {
          assert.ok(e instanceof MlsError, `byte ${i}: ${e}`);
          assert.ok(e.field, `byte ${i}: empty field`);
          if (e.code === "unknown_enum") {
            seen.add(e.field.replace(/\[\d+\]/g, "[]"));
          }
        }
      }
    }
    for (const f of c.enums) {
      const full = f.startsWith("[") ? `${c.name}${f}` : `${c.name}.${f}`;
      assert.ok(seen.has(full), `no unknown_enum for ${full}: ${[...seen]}`);
    }
  });
}

Deno.test("decoders: MLSMessage version and wire format are closed", () => {
  const b = fromHex(messages.mls_welcome);
  for (const [at, v] of [[1, 0], [1, 2], [3, 0], [3, 6]]) {
    const m = b.slice();
    m[at] = v;
    const e = rejects(
      () => decode(mlsMessageCodec, m, "MLSMessage"),
      "unknown_enum",
      `byte ${at} = ${v}`,
    );
    assert.equal(
      e.field,
      at === 1 ? "MLSMessage.version" : "MLSMessage.wireFormat",
    );
  }
});

Deno.test("decoders: unknown extension types decode as opaque data", () => {
  const ext = { extensionType: 0xfafa, extensionData: new Uint8Array([9, 9]) };
  const leaf = { ...keyPackage.leafNode, extensions: [ext] };
  const back = decode(leafNodeCodec, encode(leafNodeCodec, leaf), "LeafNode");
  assert.deepEqual(back.extensions, [ext]);
});

Deno.test("decoders: optional presence octet must be 0 or 1", () => {
  const b = encode(commitCodec, { proposals: [], path: undefined });
  assert.deepEqual(b, new Uint8Array([0, 0]));
  rejects(
    () => decode(commitCodec, new Uint8Array([0, 2]), "Commit"),
    "invalid_value",
    "presence 2",
  );
});

Deno.test("decoders: PrivateMessageContent padding", () => {
  const codec = privateMessageContentCodec(ContentType.application);
  const value: PrivateMessageContent = {
    contentType: ContentType.application,
    applicationData: new Uint8Array([1, 2, 3]),
    auth: { signature: new Uint8Array([4, 5]) },
    paddingLength: 7,
  };
  const b = encode(codec, value);
  assert.equal(b.length, 4 + 3 + 7);
  assert.deepEqual(decode(codec, b, "PrivateMessageContent"), value);
  // Any amount of zero padding is accepted, including none.
  const bare = b.subarray(0, 7);
  assert.equal(decode(codec, bare, "P").paddingLength, 0);
  for (let n = 0; n < bare.length; n++) {
    rejects(() => decode(codec, bare.subarray(0, n), "P"), "truncated", `${n}`);
  }
  for (let i = 7; i < b.length; i++) {
    const m = b.slice();
    m[i] = 1;
    const e = rejects(() => decode(codec, m, "P"), "invalid_value", `pad ${i}`);
    assert.equal(e.field, "P.padding");
  }
  rejects(
    () => encode(privateMessageContentCodec(ContentType.proposal), value),
    "wrong_content_type",
    "content type mismatch",
  );
  // A commit's auth data carries a confirmation tag; others do not.
  const commitAuth = framedContentAuthDataCodec(ContentType.commit);
  rejects(
    () => encode(commitAuth, { signature: new Uint8Array(1) }),
    "invalid_value",
    "missing confirmation tag",
  );
});

Deno.test("decoders: encoding unknown enum values is refused", () => {
  rejects(
    // deno-lint-ignore no-explicit-any
    () => encode(credentialCodec, { credentialType: 9 } as any),
    "unknown_enum",
    "credential type 9",
  );
});
