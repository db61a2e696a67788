/**
 * Members' half of the key export service: for each consumer the group
 * context authorizes (`export_consumers.ts`) and each of its grants, the
 * exporter secret of this epoch, `MLS-Exporter(label, context, length)`
 * (RFC 9420 §8.5), HPKE-sealed to the consumer's key with
 * `EncryptWithLabel(pk, "webmls export", ExportSealContext, secret)`
 * (§5.1.3): the group id, epoch, consumer id, label and context are bound
 * in HPKE's `info`, so a sealed export opens only as what it claims to be.
 * The secret is wiped once sealed; the service relays the ciphertexts.
 *
 * The rule: the member that commits seals the new epoch's exports and
 * posts them (`DeliveryClient` does after each of its commits, external
 * ones included); any member may seal and post again for the current
 * epoch — the service keeps the first it accepts of each. A consumer
 * whose HPKE key the suite refuses (a member committed a bad key) is left
 * out, so that it does not keep the others from their exports.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { encryptWithLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import type { GroupState } from "../group/state.ts";
import {
  EXPORT_SEAL_LABEL,
  exportSealContext,
  type SealedExport,
  sealedExportsCodec,
} from "../messages/export_consumers.ts";
import { mlsExporter } from "../schedule/exporter.ts";
import { utf8Decode, wipe } from "../util/bytes.ts";
import { exportConsumersOf } from "./export_consumers.ts";

/**
 * The encoded `SealedExports` of `state`'s epoch: every grant of every
 * consumer not expired at `now` (an empty list when there is none).
 *
 * @example
 * ```ts ignore
 * const body = await sealExportsOf(live.state, new Date());
 * ```
 */
export async function sealExportsOf(
  state: GroupState,
  now: Date,
): Promise<Uint8Array> {
  const { cs, context } = state;
  const seconds = BigInt(Math.floor(now.getTime() / 1000));
  const exports: SealedExport[] = [];
  for (const c of exportConsumersOf(context.extensions)) {
    if (c.notAfter !== 0n && c.notAfter <= seconds) continue;
    for (const g of c.grants) {
      const secret = await mlsExporter(
        cs,
        state.keys.exporterSecret,
        utf8Decode(g.label),
        g.context,
        g.length,
      );
      try {
        const info = exportSealContext({
          groupId: context.groupId,
          epoch: context.epoch,
          consumerId: c.consumerId,
          label: g.label,
          context: g.context,
        });
        const sealed = await encryptWithLabel(
          cs,
          c.hpkePublicKey,
          EXPORT_SEAL_LABEL,
          info,
          secret,
        ).catch((e) => {
          if (e instanceof MlsError && e.code === "crypto_failure") return;
          throw e;
        });
        if (!sealed) break; // The key is bad for every grant alike.
        exports.push({
          consumerId: c.consumerId,
          label: g.label,
          context: g.context,
          sealed,
        });
      } finally {
        wipe(secret);
      }
    }
  }
  return encode(sealedExportsCodec, {
    groupId: context.groupId,
    epoch: context.epoch,
    exports,
  });
}
