/**
 * Validating a ratchet tree on join (RFC 9420 §12.4.3.1) and a single leaf
 * node entering a group (§7.3): the one home of the §7.2/§7.3 leaf rules
 * (and §11.1, §13.4 as they apply to a leaf), each a `rule()` line.
 *
 * Errors are {@link MlsError}s whose `field` names the node: `leaf[i]` for
 * a leaf, `node[x]` for a parent. Codes: `invalid_parent_hash`,
 * `invalid_unmerged_leaves`, `invalid_signature`,
 * `duplicate_encryption_key`, `duplicate_signature_key`,
 * `unsupported_credential`, `unsupported_capability`,
 * `unsupported_group_extension`, `unsupported_extension`,
 * `duplicate_extension`, `invalid_lifetime`, `lifetime_too_long`,
 * `invalid_leaf_node_source`.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import {
  supportsExtensionType,
  supportsProposalType,
} from "../messages/capabilities.ts";
import { checkUniqueExtensions } from "../messages/extension.ts";
import { type LeafNode, LeafNodeSource } from "../messages/leaf_node.ts";
import { rule } from "../util/rule.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { verifyLeafNodeSignature } from "./leaf_signature.ts";
import { verifyParentHashes } from "./parent_hash.ts";
import type { RatchetTree } from "./ratchet_tree.ts";
import type { LeafIndex } from "./tree_math.ts";
import { mapLimited } from "../util/map_limited.ts";

/**
 * The `required_capabilities` a group context may impose (§11.1); a
 * structural copy of the extension payload.
 */
export interface RequiredCapabilitiesLike {
  /** Extension types every member must support. */
  extensionTypes: readonly number[];
  /** Proposal types every member must support. */
  proposalTypes: readonly number[];
  /** Credential types every member must support. */
  credentialTypes: readonly number[];
}

/** What a leaf's lifetime is checked against (key-package leaves only). */
export interface LifetimeOptions {
  /** When set, key-package leaves must have `now` within their lifetime. */
  now?: Date;
  /**
   * When set, the longest total lifetime (`not_after - not_before`, in
   * seconds) a key-package leaf may have (§7.2: "Applications MUST define
   * a maximum total lifetime").
   */
  maxLifetime?: number;
}

/** What a leaf must support to be in the group (§11.1, §13.4). */
export interface GroupRequirements {
  /** The group's `required_capabilities`, if it has the extension. */
  requiredCapabilities?: RequiredCapabilitiesLike;
  /** The types of the GroupContext extensions (§13.4: all are mandatory). */
  groupExtensions?: readonly number[];
}

/** Group parameters a leaf is validated against. */
export interface LeafValidationOptions
  extends LifetimeOptions, GroupRequirements {
  /** The group id: the signature context of update and commit leaves. */
  groupId: Uint8Array;
}

/**
 * Validates a whole tree as a joiner must (§12.4.3.1): unmerged-leaves
 * invariants, every parent parent-hash valid, and every leaf valid per §7.3
 * (signature with the group id as context, credential types supported by
 * every member, capabilities, extensions, lifetime when `now` is given),
 * with no encryption key or signature key used twice. Signature checks and
 * parent-hash checks run concurrently. The tree hash is checked by the
 * caller against the GroupInfo.
 *
 * @param cs the suite's crypto
 * @param tree the tree to validate
 * @param options group id, time, required capabilities
 * @throws MlsError naming the first offending node
 */
export async function validateRatchetTree(
  cs: SuiteCrypto,
  tree: RatchetTree,
  options: LeafValidationOptions,
): Promise<void> {
  checkUniqueKeys(tree);
  const leaves = [...tree.leaves()];
  const inUse = credentialTypesInUse(leaves.map(([, l]) => l));
  for (const [i, leaf] of leaves) {
    checkLeafParameters(leaf, `leaf[${i}]`, inUse, options);
  }
  const [sigs, ph] = await Promise.allSettled([
    mapLimited(leaves, ([i, leaf]) =>
      verifyLeafNodeSignature(cs, leaf, {
        groupId: options.groupId,
        leafIndex: i,
      })),
    verifyParentHashes(cs, tree),
  ]);
  // A bad signature is reported before the parent hashes it may also break
  // (a leaf's bytes feed its ancestors' sibling tree hashes).
  if (sigs.status === "rejected") throw sigs.reason;
  const bad = sigs.value.indexOf(false);
  if (bad >= 0) {
    throw new MlsError(
      "invalid_signature",
      "leaf node signature does not verify",
      `leaf[${leaves[bad][0]}]`,
    );
  }
  if (ph.status === "rejected") throw ph.reason;
}

/** Where and how a single leaf node enters the tree. */
export interface LeafEntryOptions extends LeafValidationOptions {
  /** The leaf index the node is (or will be) placed at. */
  leafIndex: LeafIndex;
  /** The source the context requires (§7.3). */
  source: LeafNodeSource;
  /**
   * Whether the node replaces the member now at `leafIndex` (Update,
   * UpdatePath): that member's signature key may be kept and its
   * capabilities are not counted; its encryption key must still change.
   */
  replacing?: boolean;
  /**
   * The signature was verified already, with the same context (a key
   * package's leaf by `validateKeyPackage`, an Update's leaf by the
   * proposal check): skip it.
   */
  signatureVerified?: boolean;
}

/**
 * Validates one leaf node entering the tree (§7.3): its source, signature,
 * capabilities against the group and the other members, extensions,
 * lifetime, and that its keys are new to the tree. O(n) for the credential
 * scan, O(log n) key lookups.
 *
 * @param cs the suite's crypto
 * @param tree the tree the leaf enters (before it is placed)
 * @param leaf the leaf node
 * @param options context of the check
 * @throws MlsError with `field` = `leaf[leafIndex]`
 */
export async function validateLeafNode(
  cs: SuiteCrypto,
  tree: RatchetTree,
  leaf: LeafNode,
  options: LeafEntryOptions,
): Promise<void> {
  const field = `leaf[${options.leafIndex}]`;
  checkLeafSource(leaf, options.source, field);
  // Credential types (§7.3) from the tree's incremental statistics, minus
  // the leaf being replaced.
  const old = options.replacing ? tree.getLeaf(options.leafIndex) : undefined;
  const oldType = old?.credential.credentialType;
  const inUse = new Set(
    tree.credentialTypesInUse().filter((t) =>
      t !== oldType || tree.leavesUsingCredential(t) > 1
    ),
  );
  inUse.add(leaf.credential.credentialType);
  checkLeafParameters(leaf, field, inUse, options);
  const type = leaf.credential.credentialType;
  const unsupported = tree.leavesNotSupportingCredential(type) -
    (old && !old.capabilities.credentials.includes(type) ? 1 : 0);
  rule(
    "§7.3",
    "unsupported_credential",
    unsupported === 0,
    "a member does not support this credential type",
    field,
  );
  rule(
    "§7.3",
    "duplicate_encryption_key",
    tree.findNodeByEncryptionKey(leaf.encryptionKey) === undefined,
    "encryption key already in the tree",
    field,
  );
  const sig = tree.findLeafBySignatureKey(leaf.signatureKey);
  rule(
    "§7.3",
    "duplicate_signature_key",
    sig === undefined || (options.replacing === true &&
      sig === options.leafIndex),
    "signature key already used by another member",
    field,
  );
  if (options.signatureVerified) return;
  const ok = await verifyLeafNodeSignature(cs, leaf, {
    groupId: options.groupId,
    leafIndex: options.leafIndex,
  });
  rule(
    "§7.3",
    "invalid_signature",
    ok,
    "leaf node signature does not verify",
    field,
  );
}

function credentialTypesInUse(leaves: readonly LeafNode[]): Set<number> {
  const out = new Set<number>();
  for (const l of leaves) out.add(l.credential.credentialType);
  return out;
}

/**
 * §7.3: the leaf's source is the one its context requires (key_package in
 * a KeyPackage, update in an Update, commit in an UpdatePath).
 */
export function checkLeafSource(
  leaf: LeafNode,
  source: LeafNodeSource,
  field: string,
): void {
  rule(
    "§7.3",
    "invalid_leaf_node_source",
    leaf.leafNodeSource === source,
    `leaf node source ${leaf.leafNodeSource}, expected ${source}`,
    field,
  );
}

/**
 * The checks of a leaf on its own (§7.2, §7.3, §13.4): its credential type
 * and non-default extensions listed in its capabilities (default extension
 * types are accepted unlisted), no extension type twice, and for a
 * key-package leaf the lifetime (when `now` or `maxLifetime` is given).
 * Shared by key packages, Update and commit leaves, and trees.
 */
export function checkLeafContents(
  leaf: LeafNode,
  field: string,
  options: LifetimeOptions = {},
): void {
  const caps = leaf.capabilities;
  rule(
    "§7.2",
    "unsupported_credential",
    caps.credentials.includes(leaf.credential.credentialType),
    "the leaf's credential type is not in its capabilities",
    field,
  );
  for (const e of leaf.extensions) {
    rule(
      "§7.3",
      "unsupported_extension",
      supportsExtensionType(caps, e.extensionType),
      `extension ${e.extensionType} is not listed in capabilities`,
      field,
    );
  }
  checkUniqueExtensions(leaf.extensions, `${field}.extensions`);
  if (leaf.leafNodeSource !== LeafNodeSource.keyPackage) return;
  const { notBefore, notAfter } = leaf.lifetime;
  if (options.now) {
    const t = BigInt(Math.floor(options.now.getTime() / 1000));
    rule(
      "§7.3",
      "invalid_lifetime",
      notBefore <= t && t <= notAfter,
      "leaf node is outside its lifetime",
      field,
    );
  }
  if (options.maxLifetime !== undefined) {
    rule(
      "§7.2",
      "lifetime_too_long",
      notAfter - notBefore <= BigInt(options.maxLifetime),
      `lifetime longer than the maximum of ${options.maxLifetime} s`,
      field,
    );
  }
}

/**
 * What the group requires of every leaf: the `required_capabilities`
 * (§11.1) and support for every GroupContext extension (§13.4: "all MLS
 * GroupContext extensions are mandatory"). The one place both are checked:
 * for leaves entering the group, for current members under new extensions,
 * and for a joiner.
 */
export function checkLeafFitsGroup(
  leaf: Pick<LeafNode, "capabilities">,
  field: string,
  group: GroupRequirements,
): void {
  const caps = leaf.capabilities;
  const req = group.requiredCapabilities;
  if (req) {
    const missing = req.extensionTypes.find((t) =>
      !supportsExtensionType(caps, t)
    ) ?? req.proposalTypes.find((t) => !supportsProposalType(caps, t)) ??
      req.credentialTypes.find((t) => !caps.credentials.includes(t));
    rule(
      "§11.1",
      "unsupported_capability",
      missing === undefined,
      `required capability ${missing} is not supported`,
      field,
    );
  }
  const ext = group.groupExtensions?.find((t) =>
    !supportsExtensionType(caps, t)
  );
  rule(
    "§13.4",
    "unsupported_group_extension",
    ext === undefined,
    `GroupContext extension ${ext} is not in the leaf's capabilities`,
    field,
  );
}

// §7.3 checks that need no crypto, against the group and its members'
// credential types.
function checkLeafParameters(
  leaf: LeafNode,
  field: string,
  credentialsInUse: ReadonlySet<number>,
  options: LeafValidationOptions,
): void {
  const caps = leaf.capabilities;
  for (const t of credentialsInUse) {
    rule(
      "§7.3",
      "unsupported_credential",
      caps.credentials.includes(t),
      `credential type ${t} in use is not supported`,
      field,
    );
  }
  checkLeafContents(leaf, field, options);
  checkLeafFitsGroup(leaf, field, options);
}

// §7.3, §12.4.3.1: no HPKE key in two nodes, no signature key in two leaves.
function checkUniqueKeys(tree: RatchetTree): void {
  const enc = new Map<string, number>();
  const sig = new Set<string>();
  for (let x = 0; x < tree.nodeWidth; x++) {
    const key = tree.encryptionKey(x);
    if (!key) continue;
    const name = (x & 1) === 0 ? `leaf[${x >>> 1}]` : `node[${x}]`;
    const h = toHex(key);
    if (enc.has(h)) {
      throw new MlsError(
        "duplicate_encryption_key",
        `encryption key also used by node ${enc.get(h)}`,
        name,
      );
    }
    enc.set(h, x);
    const leaf = tree.getLeaf(x >>> 1);
    if ((x & 1) === 0 && leaf) {
      const s = toHex(leaf.signatureKey);
      if (sig.has(s)) {
        throw new MlsError(
          "duplicate_signature_key",
          "signature key used by two leaves",
          name,
        );
      }
      sig.add(s);
    }
  }
}
