// welcome.json: decrypt a Welcome, verify its GroupInfo signature and
// confirmation tag (test-vectors.md, "Welcome").
import assert from "node:assert/strict";
import { decode, encode } from "../../src/codec/codec.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { groupInfoCodec } from "../../src/messages/group_info.ts";
import { verifyGroupInfo } from "../../src/group/group_info.ts";
import { openGroupSecrets } from "../../src/group/welcome.ts";
import {
  deriveWelcomeSecret,
  epochSecretsFromJoiner,
  welcomeKeyNonce,
} from "../../src/schedule/key_schedule.ts";
import { verifyConfirmationTag } from "../../src/schedule/confirmation_tag.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { fromHex } from "../../src/util/bytes.ts";

interface WelcomeVector {
  cipher_suite: number;
  init_priv: string;
  signer_pub: string;
  key_package: string;
  welcome: string;
}

/** Checks one welcome entry. */
export async function check(v: WelcomeVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const kp = decode(mlsMessageCodec, fromHex(v.key_package), "key_package");
  const w = decode(mlsMessageCodec, fromHex(v.welcome), "welcome");
  if (kp.wireFormat !== WireFormat.mlsKeyPackage) {
    throw new Error("not a key package");
  }
  if (w.wireFormat !== WireFormat.mlsWelcome) throw new Error("not a welcome");
  const gs = await openGroupSecrets(
    cs,
    w.welcome,
    kp.keyPackage,
    fromHex(v.init_priv),
  );
  const welcomeSecret = await deriveWelcomeSecret(cs, gs.joinerSecret);
  const { key, nonce } = await welcomeKeyNonce(cs, welcomeSecret);
  const info = decode(
    groupInfoCodec,
    await cs.aeadOpen(
      key,
      nonce,
      new Uint8Array(0),
      w.welcome.encryptedGroupInfo,
    ),
    "GroupInfo",
  );
  await verifyGroupInfo(cs, info, fromHex(v.signer_pub));
  const secrets = await epochSecretsFromJoiner(
    cs,
    gs.joinerSecret,
    undefined,
    encode(groupContextCodec, info.groupContext),
  );
  assert.ok(
    await verifyConfirmationTag(
      cs,
      secrets.confirmationKey,
      info.groupContext.confirmedTranscriptHash,
      info.confirmationTag,
    ),
    "confirmation tag",
  );
}
