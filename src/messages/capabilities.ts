/**
 * `Capabilities` (RFC 9420 §7.2). Every list is an open uint16 list: a
 * client advertises values (including GREASE, §13.5) that this
 * implementation need not know.
 *
 * @module
 */

import { type Codec, struct, uint16, vector } from "../codec/codec.ts";
import { ExtensionType } from "./extension.ts";
import { ProposalType } from "./proposal_type.ts";

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

/**
 * The "default" extension types (§7.2): application_id, ratchet_tree,
 * required_capabilities, external_pub, external_senders. Every client
 * supports them and they MUST NOT be listed in capabilities.
 */
export const DEFAULT_EXTENSION_TYPES: ReadonlySet<number> = new Set([
  ExtensionType.applicationId,
  ExtensionType.ratchetTree,
  ExtensionType.requiredCapabilities,
  ExtensionType.externalPub,
  ExtensionType.externalSenders,
]);

/** The "default" proposal types (§7.2): the seven of RFC 9420. */
export const DEFAULT_PROPOSAL_TYPES: ReadonlySet<number> = new Set(
  Object.values(ProposalType),
);

/**
 * Whether `caps` supports extension type `type`: default types always,
 * others only when listed (§7.2). The one place this is decided.
 */
export function supportsExtensionType(
  caps: Capabilities,
  type: number,
): boolean {
  return DEFAULT_EXTENSION_TYPES.has(type) || caps.extensions.includes(type);
}

/** Whether `caps` supports proposal type `type` (default types always, §7.2). */
export function supportsProposalType(
  caps: Capabilities,
  type: number,
): boolean {
  return DEFAULT_PROPOSAL_TYPES.has(type) || caps.proposals.includes(type);
}
