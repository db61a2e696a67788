/**
 * Test helper: which ratchet generation a PrivateMessage was sent with, read
 * at the receiver. Opens the message's sender data (RFC 9420 §6.3.2) with
 * the receiver's `sender_data_secret`, loaded from the receiver's storage
 * through the group layer, so that tests can check that no (epoch, sender
 * leaf, generation) is ever used twice, whatever the sending views did.
 *
 * @module
 */
import { decode } from "../../src/codec/codec.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { decryptSenderData } from "../../src/framing/sender_data_protect.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { loadState } from "../../src/api/persist.ts";
import { groupKey, signerKey } from "../../src/api/records.ts";
import type { Storage } from "../../src/api/storage/storage.ts";
import type { CryptoProvider } from "../../providers/provider.ts";
import { defaultProvider } from "../../providers/mod.ts";

/** Where a message sits in its sender's ratchet. */
export interface Slot {
  /** The epoch. */
  epoch: bigint;
  /** The sender's leaf. */
  leaf: number;
  /** The ratchet generation. */
  generation: number;
}

/** `epoch/leaf/generation`, to count duplicates. */
export const slotKey = (s: Slot): string =>
  `${s.epoch}/${s.leaf}/${s.generation}`;

/**
 * A reader of the slots of the receiver `clientId`'s current epoch of
 * `groupId`, as stored in `storage` now.
 */
export async function slotReader(
  storage: Storage,
  groupId: string,
  clientId: string,
  provider: CryptoProvider = defaultProvider(),
): Promise<(message: Uint8Array) => Promise<Slot>> {
  const signer = await storage.get(signerKey(clientId));
  if (!signer) throw new Error("no signer for the receiver");
  const loaded = await loadState(
    storage,
    provider,
    groupKey(groupId, clientId),
    groupId,
    clientId,
    signer,
  );
  if (!loaded) throw new Error("no state for the receiver");
  const { state } = loaded;
  const secret = state.keys.senderDataSecret.slice();
  const epoch = state.context.epoch;
  return async (bytes) => {
    const msg = decode(mlsMessageCodec, bytes, "message");
    if (msg.wireFormat !== WireFormat.mlsPrivateMessage) {
      throw new Error("not a PrivateMessage");
    }
    const pm = msg.privateMessage;
    if (pm.epoch !== epoch) throw new Error(`epoch ${pm.epoch}, not ${epoch}`);
    const sd = await decryptSenderData(
      state.cs,
      secret,
      { groupId: pm.groupId, epoch: pm.epoch, contentType: pm.contentType },
      pm.encryptedSenderData,
      pm.ciphertext,
    );
    return { epoch: pm.epoch, leaf: sd.leafIndex, generation: sd.generation };
  };
}
