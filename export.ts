/**
 * webmls key export: the consumer side of the key export service. A
 * non-member that a group authorized (`GroupView.authorizeConsumer`) —
 * a media server, a recorder, a storage backend — fetches the group's
 * exporter secrets (RFC 9420 §8.5) sealed to its HPKE key, with requests
 * signed by its signature key, and opens them; no MLS state needed. The
 * SFrame helpers turn a base key into SFrame keys (RFC 9605 §5.2, §4.4.2).
 *
 * @example An SFU prints its SFrame key of each epoch
 * ```ts ignore
 * import {
 *   ExportConsumer, generateConsumerKeys, sframeExport, sframeKeyAndSalt, sframeKeyId,
 * } from "@webmls/mls/export";
 *
 * const keys = await generateConsumerKeys(1); // give the group the public halves
 * // a member: group.authorizeConsumer({ id: "sfu", ...keys, exports: [sframeExport(4)] })
 * const sfu = new ExportConsumer({ url: "http://127.0.0.1:8080", id: "sfu", keys });
 * for await (const e of sfu.exports(groupId)) {
 *   const kid = sframeKeyId(e.epoch, 0, { epochBits: 4, indexBits: 6 });
 *   const { key } = await sframeKeyAndSalt(e.secret, kid, 4);
 *   console.log(e.epoch, key);
 * }
 * ```
 *
 * @module
 */

export {
  type ConsumerKeys,
  type ExportBatch,
  ExportConsumer,
  type ExportConsumerOptions,
  type ExportedSecret,
  generateConsumerKeys,
} from "./server/client/export_consumer.ts";
export {
  SFRAME_BASE_KEY_LABEL,
  sframeExport,
  sframeKeyAndSalt,
  sframeKeyId,
  type SframeKidLayout,
} from "./server/client/sframe.ts";
export { DeliveryError } from "./server/client/http.ts";
export {
  EXPORT_NONCE_HEADER,
  EXPORT_SIGNATURE_HEADER,
  EXPORT_TIME_HEADER,
  FETCH_LABEL,
  fetchContent,
  type WireExport,
  type WireExports,
} from "./server/shared/export_wire.ts";
