/**
 * Capability checks between a leaf and the group (RFC 9420 §7.2, §11.1):
 * `required_capabilities` and support for the group's extensions.
 *
 * @module
 */

import { decode } from "../codec/codec.ts";
import { type Extension, ExtensionType } from "../messages/extension.ts";
import type { LeafNode } from "../messages/leaf_node.ts";
import {
  type RequiredCapabilities,
  requiredCapabilitiesCodec,
} from "../messages/required_capabilities.ts";
import { findExtension } from "./group_info.ts";

/** The default extension types, which need not be listed (§7.2). */
const DEFAULT_EXTENSIONS = new Set<number>([1, 2, 3, 4, 5]);
/** The default proposal types (§7.2). */
const DEFAULT_PROPOSALS = new Set<number>([1, 2, 3, 4, 5, 6, 7]);

/** The group's `required_capabilities`, if set. */
export function requiredCapabilities(
  extensions: readonly Extension[],
): RequiredCapabilities | undefined {
  const ext = findExtension(extensions, ExtensionType.requiredCapabilities);
  return ext &&
    decode(
      requiredCapabilitiesCodec,
      ext.extensionData,
      "required_capabilities",
    );
}

/**
 * Whether a leaf supports the given required capabilities (§11.1).
 * Default extension and proposal types count as supported.
 */
export function supportsRequired(
  leaf: LeafNode,
  req: RequiredCapabilities,
): boolean {
  const caps = leaf.capabilities;
  return req.extensionTypes.every((t) =>
    DEFAULT_EXTENSIONS.has(t) || caps.extensions.includes(t)
  ) &&
    req.proposalTypes.every((t) =>
      DEFAULT_PROPOSALS.has(t) || caps.proposals.includes(t)
    ) &&
    req.credentialTypes.every((t) => caps.credentials.includes(t));
}

/** Whether a leaf's capabilities list every extension type in `exts`. */
export function supportsExtensions(
  leaf: LeafNode,
  exts: readonly Extension[],
): boolean {
  return exts.every((e) =>
    DEFAULT_EXTENSIONS.has(e.extensionType) ||
    leaf.capabilities.extensions.includes(e.extensionType)
  );
}
