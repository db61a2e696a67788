/**
 * The options of `MLS.groupCreate` and what they give the group layer's
 * `createGroup`: the group context extensions and the creator's
 * capabilities (its leaf, like a key package's, says what it supports).
 *
 * @module
 */

import type { CreateGroupOptions } from "../group/create.ts";
import type { GroupConfig } from "../group/config.ts";
import { DEFAULT_EXTENSION_TYPES } from "../messages/capabilities.ts";
import { defaultCapabilities } from "../group/key_package.ts";
import type { Credential } from "../messages/credential.ts";
import { optional } from "./args.ts";
import { groupExtensionList } from "./group_extensions.ts";
import {
  type KeyPackageCapabilities,
  keyPackageOptions,
} from "./key_package_options.ts";
import type { GroupExtensions } from "./types.ts";

/** Options of `MLS.groupCreate`; all optional. */
export interface GroupCreateOptions {
  /** The group id (hex or bytes); random by default. */
  groupId?: string | Uint8Array;
  /** Settings, over `MLSOptions.groupConfig`. */
  config?: Partial<GroupConfig>;
  /** How this member frames proposals and commits. */
  handshakeWireFormat?: "private" | "public";
  /**
   * The group context extensions (RFC 9420 §11.1): required
   * capabilities, external senders, the application's own. Later changed
   * by commit (`GroupView.setExtensions`).
   */
  extensions?: GroupExtensions;
  /**
   * The creator's capabilities, as `generateKeyPackage`'s. By default
   * they list the default types and the application extension types of
   * `extensions`, so that the creator supports its own group.
   */
  capabilities?: KeyPackageCapabilities;
}

/**
 * The group layer's options for the creator (`o`, the checked options
 * object) of a group in `suite` with `credential`.
 *
 * @example
 * ```ts ignore
 * const state = await createGroup(cs, wire, signer, creatorOptions(o, cs.id, wire));
 * ```
 */
export function creatorOptions(
  o: Record<string, unknown>,
  suite: number,
  credential: Credential,
): Pick<CreateGroupOptions, "extensions" | "capabilities"> {
  const extensions = optional(
    o.extensions,
    "options.extensions",
    groupExtensionList,
  );
  const own = (extensions ?? []).map((e) => e.extensionType)
    .filter((t) => !DEFAULT_EXTENSION_TYPES.has(t));
  // The default types stay listed (the key export consumer list among them).
  const defaults = defaultCapabilities(suite).extensions;
  const capabilities = o.capabilities ??
    (own.length > 0
      ? { extensions: [...new Set([...defaults, ...own])] }
      : undefined);
  const leaf = keyPackageOptions(
    { capabilities },
    "options",
    suite,
    credential,
  );
  return { extensions, capabilities: leaf.capabilities };
}
