/**
 * `Credential` (RFC 9420 §5.3).
 *
 * Union convention (all of `src/messages` and `src/framing`): an RFC
 * `select` becomes a flat discriminated union. The discriminant field is the
 * RFC selector in camelCase (`credentialType`, `proposalType`,
 * `leafNodeSource`, `senderType`, `contentType`, `wireFormat`, `nodeType`,
 * `pskType`, `type`), and the fields of the selected arm sit beside it, also
 * in camelCase: `{ credentialType: 1, identity }`,
 * `{ proposalType: 3, removed }`.
 *
 * @module
 */

import {
  type Codec,
  opaque,
  struct,
  uint16,
  variant,
  vector,
} from "../codec/codec.ts";

/** `CredentialType` (§5.3, §17.5): a closed enum here. */
export const CredentialType = { basic: 1, x509: 2 } as const;
/** A known credential type value. */
export type CredentialType = typeof CredentialType[keyof typeof CredentialType];

/** `Certificate` (§5.3.1): one DER-encoded X.509 certificate. */
export interface Certificate {
  /** `opaque cert_data<V>` */
  certData: Uint8Array;
}

/** `Certificate` */
export const certificateCodec: Codec<Certificate> = struct<Certificate>({
  certData: opaque,
});

/** A `basic` credential: an application-defined identity. */
export interface BasicCredential {
  /** `basic` */
  credentialType: typeof CredentialType.basic;
  /** `opaque identity<V>` */
  identity: Uint8Array;
}

/** An `x509` credential: a certificate chain, end-entity first. */
export interface X509Credential {
  /** `x509` */
  credentialType: typeof CredentialType.x509;
  /** `Certificate certificates<V>` */
  certificates: Certificate[];
}

/** `Credential` (§5.3): a union on `credentialType`. */
export type Credential = BasicCredential | X509Credential;

/** `Credential`; an unknown credential type is `unknown_enum`. */
export const credentialCodec: Codec<Credential> = variant<
  Credential,
  "credentialType"
>("credentialType", uint16, {
  [CredentialType.basic]: struct({ identity: opaque }),
  [CredentialType.x509]: struct({ certificates: vector(certificateCodec) }),
});
