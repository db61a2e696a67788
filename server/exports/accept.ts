/**
 * What the key export service accepts from a member: a `SealedExports`
 * (`src/messages/export_consumers.ts`) for the group's current epoch,
 * posted by a member of that epoch (a leaf of the stored GroupInfo's
 * tree, the public state the delivery service keeps: `mls/public_state.ts`),
 * naming only consumers, labels and contexts that epoch's GroupContext
 * authorizes (its `export_consumers` extension), consumers not expired.
 * It cannot check the ciphertexts (it has no key), only their size.
 *
 * @module
 */

import { decode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import {
  decodeExportConsumers,
  EXPORT_CONSUMERS_EXTENSION,
  type ExportConsumer,
  type SealedExports,
  sealedExportsCodec,
} from "../../src/messages/export_consumers.ts";
import { bytesEqual, toHex } from "../../src/util/bytes.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { PublicState } from "../mls/public_state.ts";
import type { ConsumerRecord, StoredExport } from "./store.ts";

/** Most exports one post may carry. */
export const MAX_EXPORTS_PER_POST = 64;

/** The AEAD tag of every MLS cipher suite (RFC 9420 §17.1): 16 bytes. */
const TAG = 16;

/** Decodes a posted body (`400 malformed_message`). */
export function parseSealedExports(body: Uint8Array): SealedExports {
  try {
    return decode(sealedExportsCodec, body, "SealedExports");
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    throw badRequest("malformed_message", `bad SealedExports: ${e.message}`);
  }
}

/** The consumers an epoch's GroupContext authorizes (none when absent). */
export function authorizedConsumers(state: PublicState): ExportConsumer[] {
  const e = state.context.extensions.find((x) =>
    x.extensionType === EXPORT_CONSUMERS_EXTENSION
  );
  if (!e) return [];
  try {
    return decodeExportConsumers(e.extensionData);
  } catch (err) {
    if (!(err instanceof MlsError)) throw err;
    return []; // A list that does not decode authorizes no one.
  }
}

/** Whether `consumer` is past its expiry at `now`. */
export function expired(consumer: ExportConsumer, now: Date): boolean {
  return consumer.notAfter !== 0n &&
    consumer.notAfter <= BigInt(Math.floor(now.getTime() / 1000));
}

/** Whether the client is a leaf of the epoch's tree. */
export function isMemberOf(state: PublicState, clientId: string): boolean {
  for (let i = 0; i < state.tree.leafCount; i++) {
    const leaf = state.tree.getLeaf(i);
    if (leaf && toHex(leaf.signatureKey) === clientId) return true;
  }
  return false;
}

/** What to store of an accepted post. */
export interface AcceptedExports {
  /** The keys of the consumers the exports are for. */
  readonly consumers: ConsumerRecord[];
  /** The exports. */
  readonly exports: StoredExport[];
}

/**
 * Checks a post against the group's current public state; throws the
 * `ApiError` of the first rule it breaks.
 */
export function acceptExports(
  state: PublicState,
  groupId: string,
  posted: SealedExports,
  poster: string,
  now: Date,
): AcceptedExports {
  if (toHex(posted.groupId) !== groupId) {
    throw badRequest("group_mismatch", "the exports are of another group");
  }
  if (posted.epoch !== state.context.epoch) {
    throw new ApiError(
      409,
      "epoch_conflict",
      `the group is at epoch ${state.epoch}`,
      { epoch: state.epoch },
    );
  }
  if (!isMemberOf(state, poster)) {
    throw new ApiError(403, "not_member", "not a member of this epoch");
  }
  if (posted.exports.length > MAX_EXPORTS_PER_POST) {
    throw badRequest("bad_request", "too many exports in one post");
  }
  const listed = authorizedConsumers(state);
  const consumers = new Map<string, ConsumerRecord>();
  const exports: StoredExport[] = [];
  const seen = new Set<string>();
  for (const x of posted.exports) {
    const c = listed.find((l) => bytesEqual(l.consumerId, x.consumerId));
    if (!c || expired(c, now)) {
      throw new ApiError(
        403,
        "consumer_not_authorized",
        "the group does not authorize this consumer now",
      );
    }
    const grant = c.grants.find((g) =>
      bytesEqual(g.label, x.label) && bytesEqual(g.context, x.context)
    );
    if (!grant) {
      throw new ApiError(
        403,
        "export_not_authorized",
        "the group does not authorize this label and context for the consumer",
      );
    }
    if (x.sealed.ciphertext.length !== grant.length + TAG) {
      throw badRequest("malformed_message", "a ciphertext of the wrong size");
    }
    const consumerId = toHex(x.consumerId);
    const key = `${consumerId}/${toHex(x.label)}/${toHex(x.context)}`;
    if (seen.has(key)) {
      throw badRequest("bad_request", "an export posted twice");
    }
    seen.add(key);
    consumers.set(consumerId, { consumerId, signatureKey: c.signatureKey });
    exports.push({
      consumerId,
      epoch: state.epoch,
      label: x.label.slice(),
      context: x.context.slice(),
      kemOutput: x.sealed.kemOutput.slice(),
      ciphertext: x.sealed.ciphertext.slice(),
    });
  }
  return { consumers: [...consumers.values()], exports };
}
