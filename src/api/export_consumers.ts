/**
 * The key export service's consumer list as the Web API shows it
 * (`ExportConsumerInfo`), checked at the API boundary and turned into the
 * private-use GroupContext extension of `messages/export_consumers.ts`,
 * and back for `details()`. `authorizeConsumer` / `revokeConsumer` commit
 * the whole new list as a GroupContextExtensions proposal (RFC 9420
 * §12.1.7), keeping the group's other extensions.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import type { Extension } from "../messages/extension.ts";
import {
  checkExportConsumers,
  decodeExportConsumers,
  EXPORT_CONSUMERS_EXTENSION,
  type ExportConsumer,
  exportConsumersCodec,
  MAX_EXPORT_LENGTH,
} from "../messages/export_consumers.ts";
import { utf8Decode, utf8Encode } from "../util/bytes.ts";
import {
  checkArray,
  checkBytes,
  checkInteger,
  checkObject,
  checkString,
  checkTextOrBytes,
  invalid,
  optional,
} from "./args.ts";
import type { ExportConsumerInfo } from "./types.ts";

function expiry(value: unknown, field: string): bigint {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    invalid(field, "a valid Date", value);
  }
  const s = Math.floor(value.getTime() / 1000);
  if (s <= 0) invalid(field, "a time after 1970", value);
  return BigInt(s);
}

function wireConsumer(value: unknown, field: string): ExportConsumer {
  const o = checkObject(value, field);
  const f = (k: string) => `${field}.${k}`;
  const id = checkString(o.id, f("id"));
  if (id === "") invalid(f("id"), "a non-empty string", id);
  const grants = checkArray(o.exports, f("exports")).map((g, i) => {
    const gf = `${f("exports")}.${i}`;
    const e = checkObject(g, gf);
    const label = checkString(e.label, `${gf}.label`);
    if (label === "") invalid(`${gf}.label`, "a non-empty string", label);
    return {
      label: utf8Encode(label),
      context: optional(e.context, `${gf}.context`, checkTextOrBytes)
        ?.slice() ?? new Uint8Array(0),
      length: optional(
        e.length,
        `${gf}.length`,
        (v, lf) => checkInteger(v, lf, 1, MAX_EXPORT_LENGTH),
      ) ?? 32,
    };
  });
  if (grants.length === 0) invalid(f("exports"), "at least one export", []);
  return {
    consumerId: utf8Encode(id),
    hpkePublicKey: checkBytes(o.hpkePublicKey, f("hpkePublicKey")).slice(),
    signatureKey: checkBytes(o.signaturePublicKey, f("signaturePublicKey"))
      .slice(),
    grants,
    notAfter: optional(o.expires, f("expires"), expiry) ?? 0n,
  };
}

/** The list's own rules, as `invalid_argument` at the API boundary. */
function checked(list: ExportConsumer[], field: string): void {
  try {
    checkExportConsumers(list, field);
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    throw new MlsError("invalid_argument", e.message, e.field, { cause: e });
  }
}

/**
 * The `export_consumers` extension of an input list (`invalid_argument`
 * naming the field: a consumer id or a grant listed twice, a bad length).
 *
 * @example
 * ```ts ignore
 * const ext = exportConsumersExtension([{ id: "sfu", hpkePublicKey, signaturePublicKey, exports: [{ label: "SFrame 1.0 Base Key", length: 16 }] }], "exportConsumers");
 * ```
 */
export function exportConsumersExtension(
  value: unknown,
  field: string,
): Extension {
  const list = checkArray(value, field).map((c, i) =>
    wireConsumer(c, `${field}.${i}`)
  );
  checked(list, field);
  return {
    extensionType: EXPORT_CONSUMERS_EXTENSION,
    extensionData: encode(exportConsumersCodec, list),
  };
}

/** The API form of a decoded consumer. */
export function consumerInfo(c: ExportConsumer): ExportConsumerInfo {
  return {
    id: utf8Decode(c.consumerId),
    hpkePublicKey: c.hpkePublicKey.slice(),
    signaturePublicKey: c.signatureKey.slice(),
    exports: c.grants.map((g) => ({
      label: utf8Decode(g.label),
      context: g.context.slice(),
      length: g.length,
    })),
    ...(c.notAfter > 0n
      ? { expires: new Date(Number(c.notAfter) * 1000) }
      : {}),
  };
}

/**
 * The consumers of a group context extension list (empty without the
 * extension; the group layer admitted it, so it decodes).
 *
 * @example
 * ```ts ignore
 * const consumers = exportConsumersOf(state.context.extensions);
 * ```
 */
export function exportConsumersOf(
  list: readonly Extension[],
): ExportConsumer[] {
  const e = list.find((x) => x.extensionType === EXPORT_CONSUMERS_EXTENSION);
  return e ? decodeExportConsumers(e.extensionData) : [];
}

function replaced(
  list: readonly Extension[],
  consumers: readonly ExportConsumerInfo[],
): Extension[] {
  const rest = list.filter((x) =>
    x.extensionType !== EXPORT_CONSUMERS_EXTENSION
  );
  if (consumers.length === 0) return rest;
  return [...rest, exportConsumersExtension(consumers, "consumers")];
}

/**
 * The group context extensions with `consumer` added to the consumer list,
 * or replacing the consumer of the same id (new keys, exports, expiry).
 *
 * @example
 * ```ts ignore
 * const extensions = withConsumer(state.context.extensions, consumer);
 * ```
 */
export function withConsumer(
  list: readonly Extension[],
  consumer: unknown,
): Extension[] {
  const c = checkObject(consumer, "consumer");
  // Checked here so that errors name the argument, not the whole list.
  checked([wireConsumer(c, "consumer")], "consumer");
  const others = exportConsumersOf(list).map(consumerInfo)
    .filter((x) => x.id !== c.id);
  return replaced(list, [...others, c as unknown as ExportConsumerInfo]);
}

/**
 * Checks that the suite can seal to `consumer.hpkePublicKey` (one HPKE
 * encapsulation): `invalid_argument` naming it otherwise, so that a bad key
 * is refused before it is committed.
 *
 * @example
 * ```ts ignore
 * await checkConsumerKey(state.cs, consumer);
 * ```
 */
export async function checkConsumerKey(
  cs: SuiteCrypto,
  consumer: unknown,
): Promise<void> {
  const o = checkObject(consumer, "consumer");
  const key = checkBytes(o.hpkePublicKey, "consumer.hpkePublicKey");
  try {
    await cs.hpkeSeal(
      key,
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
    );
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    invalid("consumer.hpkePublicKey", "a public key of the group's KEM", key);
  }
}

/**
 * The group context extensions without consumer `id` (the extension goes
 * when the list empties); `invalid_argument` when `id` is not listed.
 *
 * @example
 * ```ts ignore
 * const extensions = withoutConsumer(state.context.extensions, "sfu");
 * ```
 */
export function withoutConsumer(
  list: readonly Extension[],
  id: unknown,
): Extension[] {
  const name = checkString(id, "id");
  const all = exportConsumersOf(list).map(consumerInfo);
  if (!all.some((x) => x.id === name)) {
    invalid("id", "the id of an authorized consumer", name);
  }
  return replaced(list, all.filter((x) => x.id !== name));
}
