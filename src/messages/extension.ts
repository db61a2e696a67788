/**
 * `Extension` (RFC 9420 §13): an open uint16 type and opaque data. Every
 * extension decodes, whatever its type; the payloads of known types have
 * their own codecs (`required_capabilities.ts`, `external_pub.ts`,
 * `external_senders.ts`, `ratchet_tree.ts`, and {@link applicationIdCodec}).
 *
 * @module
 */

import { type Codec, opaque, struct, uint16, vector } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";

/** Registered extension types (§17.3). The type itself is an open uint16. */
export const ExtensionType = {
  applicationId: 0x0001,
  ratchetTree: 0x0002,
  requiredCapabilities: 0x0003,
  externalPub: 0x0004,
  externalSenders: 0x0005,
  lastResort: 0x000a,
} as const;
/** An extension type: any uint16, including unknown and GREASE values. */
export type ExtensionType = number;

/** `Extension` (§13). */
export interface Extension {
  /** `ExtensionType extension_type` (open uint16) */
  extensionType: ExtensionType;
  /** `opaque extension_data<V>`, decoded further by the type's codec */
  extensionData: Uint8Array;
}

/** `Extension` */
export const extensionCodec: Codec<Extension> = struct<Extension>({
  extensionType: uint16,
  extensionData: opaque,
});

/** `Extension extensions<V>`, as used by every structure that has them. */
export const extensionsCodec: Codec<Extension[]> = vector(extensionCodec);

/**
 * The `application_id` extension payload (§5.3.3): `opaque
 * application_id<V>`.
 */
export const applicationIdCodec: Codec<Uint8Array> = opaque;

/** Finds one extension of a list by type (§13.4: there is at most one). */
export function findExtension(
  extensions: readonly Extension[],
  type: ExtensionType,
): Extension | undefined {
  return extensions.find((e) => e.extensionType === type);
}

/**
 * Rejects an extension list that repeats a type with `duplicate_extension`
 * (§13.4: "Any field containing a list of extensions MUST NOT have more
 * than one extension of any given type"). The one place this is checked,
 * for every list: LeafNode, KeyPackage, GroupContext, GroupInfo, ReInit,
 * GroupContextExtensions.
 */
export function checkUniqueExtensions(
  extensions: readonly Extension[],
  field: string,
): void {
  const seen = new Set<number>();
  for (const e of extensions) {
    if (seen.has(e.extensionType)) {
      throw new MlsError(
        "duplicate_extension",
        `extension type ${e.extensionType} appears twice (RFC 9420 §13.4)`,
        field,
      );
    }
    seen.add(e.extensionType);
  }
}
