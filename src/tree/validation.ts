/**
 * Validating a ratchet tree on join (RFC 9420 §12.4.3.1) and a single leaf
 * node entering a group (§7.3).
 *
 * Errors are {@link MlsError}s whose `field` names the node: `leaf[i]` for
 * a leaf, `node[x]` for a parent. Codes: `invalid_parent_hash`,
 * `invalid_unmerged_leaves`, `invalid_signature`,
 * `duplicate_encryption_key`, `duplicate_signature_key`,
 * `unsupported_credential`, `unsupported_capability`,
 * `unsupported_extension`, `invalid_lifetime`, `invalid_leaf_node_source`.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { type LeafNode, LeafNodeSource } from "../messages/leaf_node.ts";
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

/** Group parameters a leaf is validated against. */
export interface LeafValidationOptions {
  /** The group id: the signature context of update and commit leaves. */
  groupId: Uint8Array;
  /** When set, key-package leaves must have `now` within their lifetime. */
  now?: Date;
  /** The group's `required_capabilities`, if it has the extension. */
  requiredCapabilities?: RequiredCapabilitiesLike;
}

// Extension and proposal types defined by RFC 9420 are "default" and are
// not listed in capabilities (§7.2), so they count as supported.
const DEFAULT_EXTENSIONS = new Set([1, 2, 3, 4, 5]);
const DEFAULT_PROPOSALS = new Set([1, 2, 3, 4, 5, 6, 7]);

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
   * The signature was verified already (a key package's leaf, whose
   * signature covers no group context, by `validateKeyPackage`): skip it.
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
  if (leaf.leafNodeSource !== options.source) {
    throw new MlsError(
      "invalid_leaf_node_source",
      `leaf node source ${leaf.leafNodeSource}, expected ${options.source}`,
      field,
    );
  }
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
  if (unsupported > 0) {
    throw new MlsError(
      "unsupported_credential",
      "a member does not support this credential type",
      field,
    );
  }
  if (tree.findNodeByEncryptionKey(leaf.encryptionKey) !== undefined) {
    throw new MlsError(
      "duplicate_encryption_key",
      "encryption key already in the tree",
      field,
    );
  }
  const sig = tree.findLeafBySignatureKey(leaf.signatureKey);
  if (sig !== undefined && !(options.replacing && sig === options.leafIndex)) {
    throw new MlsError(
      "duplicate_signature_key",
      "signature key already used by another member",
      field,
    );
  }
  if (
    options.signatureVerified &&
    leaf.leafNodeSource === LeafNodeSource.keyPackage
  ) {
    return;
  }
  const ok = await verifyLeafNodeSignature(cs, leaf, {
    groupId: options.groupId,
    leafIndex: options.leafIndex,
  });
  if (!ok) {
    throw new MlsError(
      "invalid_signature",
      "leaf node signature does not verify",
      field,
    );
  }
}

function credentialTypesInUse(leaves: readonly LeafNode[]): Set<number> {
  const out = new Set<number>();
  for (const l of leaves) out.add(l.credential.credentialType);
  return out;
}

// §7.3 checks that need no crypto and no other node.
function checkLeafParameters(
  leaf: LeafNode,
  field: string,
  credentialsInUse: ReadonlySet<number>,
  options: LeafValidationOptions,
): void {
  const caps = leaf.capabilities;
  for (const t of credentialsInUse) {
    if (!caps.credentials.includes(t)) {
      throw new MlsError(
        "unsupported_credential",
        `credential type ${t} in use is not supported`,
        field,
      );
    }
  }
  const req = options.requiredCapabilities;
  if (req) {
    const missing = req.extensionTypes.find((t) =>
      !DEFAULT_EXTENSIONS.has(t) && !caps.extensions.includes(t)
    ) ?? req.proposalTypes.find((t) =>
      !DEFAULT_PROPOSALS.has(t) && !caps.proposals.includes(t)
    ) ?? req.credentialTypes.find((t) =>
      !caps.credentials.includes(t)
    );
    if (missing !== undefined) {
      throw new MlsError(
        "unsupported_capability",
        `required capability ${missing} is not supported`,
        field,
      );
    }
  }
  for (const e of leaf.extensions) {
    if (
      !DEFAULT_EXTENSIONS.has(e.extensionType) &&
      !caps.extensions.includes(e.extensionType)
    ) {
      throw new MlsError(
        "unsupported_extension",
        `extension ${e.extensionType} is not listed in capabilities`,
        field,
      );
    }
  }
  if (options.now && leaf.leafNodeSource === LeafNodeSource.keyPackage) {
    const t = BigInt(Math.floor(options.now.getTime() / 1000));
    if (t < leaf.lifetime.notBefore || t > leaf.lifetime.notAfter) {
      throw new MlsError(
        "invalid_lifetime",
        "leaf node is outside its lifetime",
        field,
      );
    }
  }
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
