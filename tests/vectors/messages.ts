// messages.json: every structure decodes and re-encodes byte for byte
// (RFC 9420 §§6-12; "Messages" in test-vectors.md).
import assert from "node:assert/strict";
import { type Codec, decode, encode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { commitCodec } from "../../src/messages/commit.ts";
import { groupSecretsCodec } from "../../src/messages/group_secrets.ts";
import {
  addCodec,
  externalInitCodec,
  groupContextExtensionsCodec,
  preSharedKeyCodec,
  reInitCodec,
  removeCodec,
  updateCodec,
} from "../../src/messages/proposal.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

/** One messages.json entry: hex-encoded serializations. */
export type MessagesVector = Record<string, string>;

function roundTrip<T>(codec: Codec<T>, hex: string, name: string): T {
  const value = decode(codec, fromHex(hex), name);
  assert.equal(toHex(encode(codec, value)), hex, `${name} re-encodes`);
  return value;
}

/** Structures serialized alone, by vector field (the fuzz test uses it too). */
export const plain: Record<string, Codec<unknown>> = {
  ratchet_tree: ratchetTreeCodec,
  group_secrets: groupSecretsCodec,
  add_proposal: addCodec,
  update_proposal: updateCodec,
  remove_proposal: removeCodec,
  pre_shared_key_proposal: preSharedKeyCodec,
  re_init_proposal: reInitCodec,
  external_init_proposal: externalInitCodec,
  group_context_extensions_proposal: groupContextExtensionsCodec,
  commit: commitCodec,
};

/** The wire format (and public content type) each MLSMessage must have. */
const framed: Record<string, [WireFormat, ContentType?]> = {
  mls_welcome: [WireFormat.mlsWelcome],
  mls_group_info: [WireFormat.mlsGroupInfo],
  mls_key_package: [WireFormat.mlsKeyPackage],
  public_message_application: [
    WireFormat.mlsPublicMessage,
    ContentType.application,
  ],
  public_message_proposal: [WireFormat.mlsPublicMessage, ContentType.proposal],
  public_message_commit: [WireFormat.mlsPublicMessage, ContentType.commit],
  private_message: [WireFormat.mlsPrivateMessage],
};

/** Checks one messages entry. */
export function check(v: MessagesVector): Promise<void> {
  for (const [field, codec] of Object.entries(plain)) {
    assert.ok(field in v, `missing ${field}`);
    roundTrip(codec, v[field], field);
  }
  for (const [field, [wireFormat, contentType]] of Object.entries(framed)) {
    assert.ok(field in v, `missing ${field}`);
    const m: MLSMessage = roundTrip(mlsMessageCodec, v[field], field);
    assert.equal(m.version, 1, `${field} version`);
    assert.equal(m.wireFormat, wireFormat, `${field} wire format`);
    if (contentType !== undefined) {
      assert.ok(m.wireFormat === WireFormat.mlsPublicMessage);
      assert.equal(m.publicMessage.content.contentType, contentType, field);
    }
  }
  return Promise.resolve();
}
