/**
 * The `required_capabilities` extension payload (RFC 9420 §11.1). Its lists
 * are open uint16 lists, like those of `Capabilities`.
 *
 * @module
 */

import { type Codec, struct, uint16, vector } from "../codec/codec.ts";

/** `RequiredCapabilities` (§11.1). */
export interface RequiredCapabilities {
  /** `ExtensionType extension_types<V>` */
  extensionTypes: number[];
  /** `ProposalType proposal_types<V>` */
  proposalTypes: number[];
  /** `CredentialType credential_types<V>` */
  credentialTypes: number[];
}

/** `RequiredCapabilities` */
export const requiredCapabilitiesCodec: Codec<RequiredCapabilities> = struct<
  RequiredCapabilities
>({
  extensionTypes: vector(uint16),
  proposalTypes: vector(uint16),
  credentialTypes: vector(uint16),
});
