/**
 * The options of `MLS.groupJoinExternal` and the new leaf they give the
 * group layer's `joinExternal`: its capabilities and leaf extensions, as
 * a key package's (`generateKeyPackage`) — a joiner must support every
 * type the group's `required_capabilities` lists (RFC 9420 §11.1,
 * §12.4.3.2), e.g. an application's own group context extension.
 *
 * @module
 */

import type { GroupConfig } from "../group/config.ts";
import type { ExternalJoinInput } from "../group/external_join.ts";
import type { Credential } from "../messages/credential.ts";
import {
  type ExtensionInput,
  type KeyPackageCapabilities,
  keyPackageOptions,
} from "./key_package_options.ts";

/** Options of `MLS.groupJoinExternal`; all optional. */
export interface ExternalJoinOptions {
  /** The tree, when the GroupInfo does not carry it. */
  ratchetTree?: Uint8Array;
  /** Remove this client's earlier appearance in the same commit. */
  resync?: boolean;
  /** Settings, over `MLSOptions.groupConfig`. */
  config?: Partial<GroupConfig>;
  /** How this member frames proposals and commits. */
  handshakeWireFormat?: "private" | "public";
  /**
   * The new leaf's capabilities, as `generateKeyPackage`'s: they must
   * cover the group's required capabilities (else `unsupported_capability`).
   * By default the default types, and the types of `leafExtensions`.
   */
  capabilities?: KeyPackageCapabilities;
  /** Extensions of the new leaf (one per type). */
  leafExtensions?: readonly ExtensionInput[];
}

/**
 * The new leaf's part of the group layer's input, from the checked
 * options object `o`, for a group of `suite`; undefined when the options
 * set neither capabilities nor leaf extensions (the defaults then).
 *
 * @example
 * ```ts ignore
 * const leaf = joinerLeaf(o, info.groupContext.cipherSuite, wire);
 * ```
 */
export function joinerLeaf(
  o: Record<string, unknown>,
  suite: number,
  credential: Credential,
): ExternalJoinInput["leaf"] {
  if (o.capabilities === undefined && o.leafExtensions === undefined) {
    return undefined;
  }
  const checked = keyPackageOptions(
    { capabilities: o.capabilities, leafExtensions: o.leafExtensions },
    "options",
    suite,
    credential,
  );
  return {
    capabilities: checked.capabilities,
    leafExtensions: checked.leafExtensions,
  };
}
