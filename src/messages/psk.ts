/**
 * Pre-shared key identifiers (RFC 9420 §8.4): `PreSharedKeyID`, `PSKType`,
 * `ResumptionPSKUsage`, and `PSKLabel`, the input to the PSK secret
 * derivation.
 *
 * @module
 */

import {
  type Codec,
  enumeration,
  merge,
  opaque,
  struct,
  uint16,
  uint64,
  uint8,
  variant,
} from "../codec/codec.ts";

/** `PSKType` (§8.4). */
export const PSKType = { external: 1, resumption: 2 } as const;
/** A known PSK type value. */
export type PSKType = typeof PSKType[keyof typeof PSKType];

/** `PSKType` as a closed uint8 enum. */
export const pskTypeCodec: Codec<PSKType> = enumeration(
  uint8,
  Object.values(PSKType),
);

/** `ResumptionPSKUsage` (§8.4). */
export const ResumptionPSKUsage = {
  application: 1,
  reinit: 2,
  branch: 3,
} as const;
/** A known resumption PSK usage value. */
export type ResumptionPSKUsage =
  typeof ResumptionPSKUsage[keyof typeof ResumptionPSKUsage];

/** `ResumptionPSKUsage` as a closed uint8 enum. */
export const resumptionPSKUsageCodec: Codec<ResumptionPSKUsage> = enumeration(
  uint8,
  Object.values(ResumptionPSKUsage),
);

/** The `external` arm of a PreSharedKeyID. */
export interface ExternalPSKFields {
  /** `external` */
  pskType: typeof PSKType.external;
  /** `opaque psk_id<V>` */
  pskId: Uint8Array;
}

/** The `resumption` arm of a PreSharedKeyID. */
export interface ResumptionPSKFields {
  /** `resumption` */
  pskType: typeof PSKType.resumption;
  /** `ResumptionPSKUsage usage` */
  usage: ResumptionPSKUsage;
  /** `opaque psk_group_id<V>` */
  pskGroupId: Uint8Array;
  /** `uint64 psk_epoch` */
  pskEpoch: bigint;
}

/** `PreSharedKeyID` (§8.4): a union on `pskType`, plus the nonce. */
export type PreSharedKeyID = (ExternalPSKFields | ResumptionPSKFields) & {
  /** `opaque psk_nonce<V>` */
  pskNonce: Uint8Array;
};

/** `PreSharedKeyID`; an unknown PSK type or usage is `unknown_enum`. */
export const preSharedKeyIDCodec: Codec<PreSharedKeyID> = merge(
  variant<ExternalPSKFields | ResumptionPSKFields, "pskType">(
    "pskType",
    uint8,
    {
      [PSKType.external]: struct({ pskId: opaque }),
      [PSKType.resumption]: struct({
        usage: resumptionPSKUsageCodec,
        pskGroupId: opaque,
        pskEpoch: uint64,
      }),
    },
  ),
  struct<{ pskNonce: Uint8Array }>({ pskNonce: opaque }),
);

/** `PSKLabel` (§8.4): the context of each PSK's derived input. */
export interface PSKLabel {
  /** `PreSharedKeyID id` */
  id: PreSharedKeyID;
  /** `uint16 index` */
  index: number;
  /** `uint16 count` */
  count: number;
}

/** `PSKLabel` */
export const pskLabelCodec: Codec<PSKLabel> = struct<PSKLabel>({
  id: preSharedKeyIDCodec,
  index: uint16,
  count: uint16,
});
