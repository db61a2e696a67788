/**
 * The passive-client scenario (test-vectors.md, "Passive Client
 * Scenarios"): join from a Welcome, then follow every epoch's proposals and
 * commit, comparing epoch authenticators. Shared by the
 * passive-client-welcome and passive-client-handling-commit checkers.
 */
import assert from "node:assert/strict";
import { decode } from "../../src/codec/codec.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { bytesEqual, fromHex, toHex } from "../../src/util/bytes.ts";

interface PassiveClientVector {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: {
    proposals: string[];
    commit: string;
    epoch_authenticator: string;
  }[];
}

function message(hex: string, field: string): MLSMessage {
  return decode(mlsMessageCodec, fromHex(hex), field);
}

/** Runs one passive-client scenario. */
export async function checkPassiveClient(
  v: PassiveClientVector,
): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const kpMsg = message(v.key_package, "key_package");
  assert.equal(kpMsg.wireFormat, WireFormat.mlsKeyPackage);
  if (kpMsg.wireFormat !== WireFormat.mlsKeyPackage) return;
  const keyPackage = kpMsg.keyPackage;
  const initPrivateKey = fromHex(v.init_priv);
  const encryptionPrivateKey = fromHex(v.encryption_priv);
  const signer = await cs.signatureImportPrivateKey(fromHex(v.signature_priv));
  // The private keys must match the key package's public keys.
  assert.deepEqual(await cs.hpkePublicKey(initPrivateKey), keyPackage.initKey);
  assert.deepEqual(
    await cs.hpkePublicKey(encryptionPrivateKey),
    keyPackage.leafNode.encryptionKey,
  );
  assert.deepEqual(
    await cs.signaturePublicKey(signer),
    keyPackage.leafNode.signatureKey,
  );
  const welcomeMsg = message(v.welcome, "welcome");
  assert.equal(welcomeMsg.wireFormat, WireFormat.mlsWelcome);
  if (welcomeMsg.wireFormat !== WireFormat.mlsWelcome) return;
  const external = v.external_psks.map((p) => ({
    id: fromHex(p.psk_id),
    psk: fromHex(p.psk),
  }));
  const psks = (
    id: Parameters<
      NonNullable<Parameters<typeof joinFromWelcome>[2]["psks"]>
    >[0],
  ) =>
    id.pskType === PSKType.external
      ? external.find((e) => bytesEqual(e.id, id.pskId))?.psk
      : undefined;
  const { state: joined } = await joinFromWelcome(cs, welcomeMsg.welcome, {
    keyPackage,
    initPrivateKey,
    encryptionPrivateKey,
    signer,
    ratchetTree: v.ratchet_tree === null
      ? undefined
      : decode(ratchetTreeCodec, fromHex(v.ratchet_tree), "ratchet_tree"),
    psks,
  });
  let state: GroupState = joined;
  assert.equal(
    toHex(state.keys.epochAuthenticator),
    v.initial_epoch_authenticator,
    "initial epoch authenticator",
  );
  for (let e = 0; e < v.epochs.length; e++) {
    const epoch = v.epochs[e];
    for (const p of epoch.proposals) {
      const r = await receiveMessage(state, message(p, "proposal"), { psks });
      assert.equal(r.kind, "proposal", `epoch ${e}: proposal`);
      if (r.kind === "proposal") state = r.state;
    }
    const r = await receiveMessage(state, message(epoch.commit, "commit"), {
      psks,
    });
    assert.equal(r.kind, "commit", `epoch ${e}: commit`);
    if (r.kind !== "commit") return;
    state = r.state;
    assert.equal(
      toHex(state.keys.epochAuthenticator),
      epoch.epoch_authenticator,
      `epoch ${e}: epoch authenticator`,
    );
  }
}
