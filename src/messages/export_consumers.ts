/**
 * webmls's key export extension: a GroupContext extension of a
 * private-use type (RFC 9420 §17.3, 0xF000–0xFFFF) listing the non-members
 * ("consumers": a media server, a recorder, a storage backend) that
 * members hand exporter secrets (§8.5) to, each HPKE-sealed to the
 * consumer's key; and the wire structures of those sealed exports. Every
 * change to the list is a commit (§12.1.7), so all members agree on it.
 *
 * ```
 * struct {
 *   opaque label<V>;      // MLS-Exporter label (UTF-8)
 *   opaque context<V>;    // MLS-Exporter context
 *   uint16 length;        // MLS-Exporter length
 * } ExportGrant;
 *
 * struct {
 *   opaque consumer_id<V>;          // UTF-8, unique in the list
 *   HPKEPublicKey hpke_public_key;  // the group's suite's KEM
 *   SignaturePublicKey signature_key; // the group's suite's scheme
 *   ExportGrant grants<V>;
 *   uint64 not_after;               // seconds since 1970; 0: no expiry
 * } ExportConsumer;
 *
 * ExportConsumer export_consumers<V>;  // the extension's data
 *
 * struct {                            // EncryptWithLabel context (§5.1.3)
 *   opaque group_id<V>; uint64 epoch; opaque consumer_id<V>;
 *   opaque label<V>; opaque context<V>;
 * } ExportSealContext;
 *
 * struct {
 *   opaque consumer_id<V>; opaque label<V>; opaque context<V>;
 *   HPKECiphertext sealed;            // kem_output, ciphertext
 * } SealedExport;
 *
 * struct {
 *   opaque group_id<V>; uint64 epoch; SealedExport exports<V>;
 * } SealedExports;
 * ```
 *
 * @module
 */

import {
  type Codec,
  decode,
  encode,
  opaque,
  struct,
  uint16,
  uint64,
  vector,
} from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { utf8Decode } from "../util/bytes.ts";
import { type HPKECiphertext, hpkeCiphertextCodec } from "./update_path.ts";

/** The extension type of the consumer list (private use, RFC 9420 §17.3). */
export const EXPORT_CONSUMERS_EXTENSION = 0xf0e5;

/** `EncryptWithLabel` label of a sealed export (§5.1.3). */
export const EXPORT_SEAL_LABEL = "webmls export";

/** Largest exported secret a grant may ask for, bytes. */
export const MAX_EXPORT_LENGTH = 1024;

/** `ExportGrant`: one exporter output a consumer may receive. */
export interface ExportGrant {
  /** `opaque label<V>` (UTF-8). */
  label: Uint8Array;
  /** `opaque context<V>` */
  context: Uint8Array;
  /** `uint16 length` */
  length: number;
}

/** `ExportConsumer`: one authorized consumer. */
export interface ExportConsumer {
  /** `opaque consumer_id<V>` (UTF-8). */
  consumerId: Uint8Array;
  /** `HPKEPublicKey hpke_public_key` */
  hpkePublicKey: Uint8Array;
  /** `SignaturePublicKey signature_key` */
  signatureKey: Uint8Array;
  /** `ExportGrant grants<V>` */
  grants: ExportGrant[];
  /** `uint64 not_after`: seconds since 1970, 0 for none. */
  notAfter: bigint;
}

const grantCodec: Codec<ExportGrant> = struct<ExportGrant>({
  label: opaque,
  context: opaque,
  length: uint16,
});

const consumerCodec: Codec<ExportConsumer> = struct<ExportConsumer>({
  consumerId: opaque,
  hpkePublicKey: opaque,
  signatureKey: opaque,
  grants: vector(grantCodec),
  notAfter: uint64,
});

/** `ExportConsumer export_consumers<V>` */
export const exportConsumersCodec: Codec<ExportConsumer[]> = vector(
  consumerCodec,
);

function bad(message: string, field: string): never {
  throw new MlsError("invalid_value", message, field);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Checks a consumer list's rules beyond its encoding: ids valid UTF-8,
 * non-empty and unique; at least one grant each, labels valid non-empty
 * UTF-8, lengths 1 to {@link MAX_EXPORT_LENGTH}, no grant listed twice;
 * keys non-empty. Throws `invalid_value` naming the field.
 *
 * @example
 * ```ts ignore
 * checkExportConsumers(list, "export_consumers");
 * ```
 */
export function checkExportConsumers(
  list: readonly ExportConsumer[],
  field: string,
): void {
  const ids = new Set<string>();
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    const id = text(c.consumerId, `${f}.consumer_id`);
    if (ids.has(id)) bad("a consumer id listed twice", `${f}.consumer_id`);
    ids.add(id);
    if (c.hpkePublicKey.length === 0) bad("empty key", `${f}.hpke_public_key`);
    if (c.signatureKey.length === 0) bad("empty key", `${f}.signature_key`);
    if (c.grants.length === 0) bad("no grant", `${f}.grants`);
    c.grants.forEach((g, j) => {
      const gf = `${f}.grants[${j}]`;
      text(g.label, `${gf}.label`);
      if (g.length < 1 || g.length > MAX_EXPORT_LENGTH) {
        bad(`a length from 1 to ${MAX_EXPORT_LENGTH}`, `${gf}.length`);
      }
      const twice = c.grants.slice(0, j).some((h) =>
        sameBytes(h.label, g.label) && sameBytes(h.context, g.context)
      );
      if (twice) bad("a grant listed twice", gf);
    });
  });
}

function text(bytes: Uint8Array, field: string): string {
  if (bytes.length === 0) bad("empty", field);
  try {
    return utf8Decode(bytes);
  } catch (e) {
    throw (e as MlsError).within(field);
  }
}

/**
 * Decodes and checks an `export_consumers` extension's data (no trailing
 * bytes; `invalid_value` for a rule of {@link checkExportConsumers}).
 *
 * @example
 * ```ts ignore
 * const consumers = decodeExportConsumers(extension.extensionData);
 * ```
 */
export function decodeExportConsumers(data: Uint8Array): ExportConsumer[] {
  const list = decode(exportConsumersCodec, data, "export_consumers");
  checkExportConsumers(list, "export_consumers");
  return list;
}

/** `ExportSealContext`: what a sealed export's HPKE `info` binds. */
export interface ExportSealContext {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `opaque consumer_id<V>` */
  consumerId: Uint8Array;
  /** `opaque label<V>` */
  label: Uint8Array;
  /** `opaque context<V>` */
  context: Uint8Array;
}

/** `ExportSealContext` */
export const exportSealContextCodec: Codec<ExportSealContext> = struct<
  ExportSealContext
>({
  groupId: opaque,
  epoch: uint64,
  consumerId: opaque,
  label: opaque,
  context: opaque,
});

/** The encoded `ExportSealContext` (the `context` of `EncryptWithLabel`). */
export function exportSealContext(c: ExportSealContext): Uint8Array {
  return encode(exportSealContextCodec, c);
}

/** `SealedExport`: one export sealed to one consumer. */
export interface SealedExport {
  /** `opaque consumer_id<V>` */
  consumerId: Uint8Array;
  /** `opaque label<V>` */
  label: Uint8Array;
  /** `opaque context<V>` */
  context: Uint8Array;
  /** `HPKECiphertext sealed` */
  sealed: HPKECiphertext;
}

/** `SealedExports`: a member's exports of one epoch. */
export interface SealedExports {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `SealedExport exports<V>` */
  exports: SealedExport[];
}

const sealedExportCodec: Codec<SealedExport> = struct<SealedExport>({
  consumerId: opaque,
  label: opaque,
  context: opaque,
  sealed: hpkeCiphertextCodec,
});

/** `SealedExports` */
export const sealedExportsCodec: Codec<SealedExports> = struct<
  SealedExports
>({
  groupId: opaque,
  epoch: uint64,
  exports: vector(sealedExportCodec),
});
