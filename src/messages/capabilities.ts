/**
 * `Capabilities` (RFC 9420 §7.2). Every list is an open uint16 list: a
 * client advertises values (including GREASE, §13.5) that this
 * implementation need not know.
 *
 * @module
 */

import { type Codec, struct, uint16, vector } from "../codec/codec.ts";

/** `Capabilities` (§7.2). */
export interface Capabilities {
  /** `ProtocolVersion versions<V>` */
  versions: number[];
  /** `CipherSuite cipher_suites<V>` */
  cipherSuites: number[];
  /** `ExtensionType extensions<V>` */
  extensions: number[];
  /** `ProposalType proposals<V>` */
  proposals: number[];
  /** `CredentialType credentials<V>` */
  credentials: number[];
}

const uint16s = vector(uint16);

/** `Capabilities` */
export const capabilitiesCodec: Codec<Capabilities> = struct<Capabilities>({
  versions: uint16s,
  cipherSuites: uint16s,
  extensions: uint16s,
  proposals: uint16s,
  credentials: uint16s,
});
