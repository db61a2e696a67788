/**
 * Capability checks between a leaf and the group (RFC 9420 §7.2, §11.1):
 * `required_capabilities` and support for the group's extensions. Which
 * types are "default" (supported unlisted) is decided in
 * `messages/capabilities.ts`.
 *
 * @module
 */

import { decode } from "../codec/codec.ts";
import { supportsExtensionType } from "../messages/capabilities.ts";
import {
  type Extension,
  ExtensionType,
  findExtension,
} from "../messages/extension.ts";
import type { LeafNode } from "../messages/leaf_node.ts";
import {
  type RequiredCapabilities,
  requiredCapabilitiesCodec,
} from "../messages/required_capabilities.ts";

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

/** What every leaf of a group with `extensions` must support (§11.1, §13.4). */
export function groupRequirements(extensions: readonly Extension[]): {
  requiredCapabilities?: RequiredCapabilities;
  groupExtensions: number[];
} {
  return {
    requiredCapabilities: requiredCapabilities(extensions),
    groupExtensions: extensions.map((e) => e.extensionType),
  };
}

/** Whether a leaf's capabilities list every extension type in `exts`. */
export function supportsExtensions(
  leaf: LeafNode,
  exts: readonly Extension[],
): boolean {
  return exts.every((e) =>
    supportsExtensionType(leaf.capabilities, e.extensionType)
  );
}
