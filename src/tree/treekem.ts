/**
 * TreeKEM (RFC 9420 §7.4–7.6, §12.4.2): creating an UpdatePath for a
 * committer and applying one received from another member.
 *
 * The context encrypted to is the *provisional* GroupContext, which holds
 * the tree hash after the path is merged, so both directions are two-phase:
 *
 * - sender: {@link prepareUpdatePath} merges a fresh path into a clone of the
 *   tree and returns its tree hash; the caller builds the GroupContext; then
 *   {@link PreparedUpdatePath.encrypt} produces the UpdatePath.
 * - receiver: {@link mergeUpdatePath} validates and merges the path into a
 *   clone and returns its tree hash; the caller builds the GroupContext;
 *   then {@link decryptUpdatePath} recovers the path secrets.
 *
 * {@link createUpdatePath} and {@link applyUpdatePath} run both phases with
 * a callback that builds the context from the new tree hash.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import {
  decryptWithLabel,
  deriveSecret,
  encryptWithLabelMany,
} from "../crypto/labeled.ts";
import type { Capabilities } from "../messages/capabilities.ts";
import type { Credential } from "../messages/credential.ts";
import type { Extension } from "../messages/extension.ts";
import {
  type LeafNode,
  type LeafNodeContent,
  LeafNodeSource,
} from "../messages/leaf_node.ts";
import type { UpdatePath } from "../messages/update_path.ts";
import type {
  HpkeKeyPair,
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { bytesEqual, toHex, wipe } from "../util/bytes.ts";
import { signLeafNode } from "./leaf_signature.ts";
import { pathParentHashes } from "./parent_hash.ts";
import { nodeKeyPair, PrivateTree } from "./private_tree.ts";
import type { PathStep, RatchetTree } from "./ratchet_tree.ts";
import {
  commonAncestor,
  isInSubtree,
  type LeafIndex,
  type NodeIndex,
} from "./tree_math.ts";
import { type LeafValidationOptions, validateLeafNode } from "./validation.ts";

const EMPTY = new Uint8Array(0);

/** Builds the provisional GroupContext bytes from the new tree hash. */
export type GroupContextBuilder = (
  treeHash: Uint8Array,
) => Uint8Array | Promise<Uint8Array>;

/** Leaf fields a committer may change along with its path (§7.5). */
export interface LeafNodeChanges {
  /** A new signature public key. */
  signatureKey?: Uint8Array;
  /** A new credential. */
  credential?: Credential;
  /** New capabilities. */
  capabilities?: Capabilities;
  /** New leaf extensions. */
  extensions?: Extension[];
}

/** Inputs of {@link prepareUpdatePath}. */
export interface UpdatePathOptions {
  /** The group id, signed into the new leaf node. */
  groupId: Uint8Array;
  /** The committer's signature private key (for the new leaf). */
  signaturePrivateKey: SignaturePrivateKey;
  /**
   * Changes to the committer's leaf. If the leaf is blank (an external
   * joiner taking the leftmost blank leaf) every field is required.
   */
  leaf?: LeafNodeChanges;
  /** The new leaf HPKE key pair; fresh random by default. */
  leafKeyPair?: HpkeKeyPair;
  /** `path_secret[0]`; fresh random by default (§7.4). */
  pathSecret?: Uint8Array;
  /**
   * Leaves added by this commit: left out of the encryption (§12.4.2);
   * they get their path secret from the Welcome.
   */
  excludedLeaves?: Iterable<LeafIndex>;
}

/** A path merged into a tree, ready to be encrypted. */
export interface PreparedUpdatePath {
  /** The new tree: the input's clone with the path merged. */
  tree: RatchetTree;
  /** Its root tree hash, for the provisional GroupContext. */
  treeHash: Uint8Array;
  /** The committer's new leaf node (source `commit`, signed). */
  leafNode: LeafNode;
  /** `DeriveSecret(last path_secret, "path")` (§12.4.2). */
  commitSecret: Uint8Array;
  /** The committer's new private state for the new tree. */
  privateTree: PrivateTree;
  /** The path secret of each filtered-direct-path node. */
  pathSecrets: ReadonlyMap<NodeIndex, Uint8Array>;
  /**
   * The path secret a new member at `leaf` gets in its Welcome: that of
   * the lowest common ancestor of the committer and `leaf` (§12.4.3.1).
   */
  pathSecretFor(leaf: LeafIndex): Uint8Array | undefined;
  /**
   * Encrypts each path secret to the resolution of its copath child, all
   * HPKE operations concurrently (§7.6).
   *
   * @param groupContext the serialized provisional GroupContext
   */
  encrypt(groupContext: Uint8Array): Promise<UpdatePath>;
}

/**
 * Phase one of committing with a path (§7.4, §7.5): fresh path secrets and
 * node keys along the committer's filtered direct path, merged into a clone
 * of `tree` with parent hashes, and the new signed leaf node.
 *
 * @param cs the suite's crypto
 * @param tree the tree after this commit's proposals (not modified)
 * @param leafIndex the committer's leaf
 * @param options keys, leaf changes, excluded leaves
 * @returns the merged path, to be encrypted once the context is known
 */
export async function prepareUpdatePath(
  cs: SuiteCrypto,
  tree: RatchetTree,
  leafIndex: LeafIndex,
  options: UpdatePathOptions,
): Promise<PreparedUpdatePath> {
  const t = tree.clone();
  const current = tree.getLeaf(leafIndex);
  const ch = options.leaf ?? {};
  const signatureKey = ch.signatureKey ?? current?.signatureKey;
  const credential = ch.credential ?? current?.credential;
  const capabilities = ch.capabilities ?? current?.capabilities;
  const extensions = ch.extensions ?? current?.extensions;
  if (!signatureKey || !credential || !capabilities || !extensions) {
    throw new MlsError(
      "invalid_argument",
      "a blank committer leaf needs every leaf field",
      `leaf[${leafIndex}]`,
    );
  }

  if (!current && t.leftmostBlankLeaf() !== leafIndex) {
    throw new MlsError(
      "invalid_leaf_index",
      "a new committer must take the leftmost blank leaf",
      `leaf[${leafIndex}]`,
    );
  }
  const first = options.pathSecret ?? cs.randomBytes(cs.hashLength);
  const leafKeys = options.leafKeyPair
    ? Promise.resolve(options.leafKeyPair)
    : cs.hpkeGenerateKeyPair();
  // Awaited below, after other awaits: a failure must not count as an
  // unhandled rejection meanwhile (Deno would end the process).
  leafKeys.catch(() => {});
  if (!current) {
    t.addLeaf({
      encryptionKey: (await leafKeys).publicKey,
      signatureKey,
      credential,
      capabilities,
      extensions,
      leafNodeSource: LeafNodeSource.commit,
      parentHash: EMPTY,
      signature: EMPTY,
    });
  }
  t.blankDirectPath(leafIndex);
  const steps = t.filteredPath(leafIndex);

  // §7.4: path_secret[n] = DeriveSecret(path_secret[n-1], "path").
  // With an empty filtered direct path nobody else is encrypted to, and the
  // commit secret is simply derived from a fresh path secret.
  const secrets: Uint8Array[] = [first.slice()];
  for (let k = 1; k < steps.length; k++) {
    secrets.push(await deriveSecret(cs, secrets[k - 1], "path"));
  }
  const commitSecret = await deriveSecret(
    cs,
    secrets[secrets.length - 1],
    "path",
  );
  if (steps.length === 0) wipe(secrets.pop());
  const [leafKp, nodeKps] = await Promise.all([
    leafKeys,
    Promise.all(secrets.map((s) => nodeKeyPair(cs, s))),
  ]);
  const pubs = nodeKps.map((kp) => kp.publicKey);

  const setPath = (fields: readonly Uint8Array[]) =>
    steps.forEach((s, k) =>
      t.setParent(s.node, {
        encryptionKey: pubs[k],
        parentHash: fields[k],
        unmergedLeaves: [],
      })
    );
  setPath(steps.map(() => EMPTY));
  const { fields, leafParentHash } = await pathParentHashes(
    cs,
    t,
    steps,
    pubs,
  );
  setPath(fields);

  const content: LeafNodeContent = {
    encryptionKey: leafKp.publicKey,
    signatureKey,
    credential,
    capabilities,
    extensions,
    leafNodeSource: LeafNodeSource.commit,
    parentHash: leafParentHash,
  };
  const leafNode = await signLeafNode(
    cs,
    options.signaturePrivateKey,
    content,
    {
      groupId: options.groupId,
      leafIndex,
    },
  );
  t.setLeaf(leafIndex, leafNode);
  const treeHash = await t.treeHash(cs);

  const privateTree = new PrivateTree(
    leafIndex,
    leafKp.privateKey,
    leafKp.publicKey,
  );
  steps.forEach((s, k) => {
    privateTree.set(s.node, nodeKps[k].privateKey, pubs[k]);
    wipe(nodeKps[k].privateKey);
  });
  const pathSecrets = new Map(steps.map((s, k) => [s.node, secrets[k]]));
  const excluded = new Set(options.excludedLeaves ?? []);

  return {
    tree: t,
    treeHash,
    leafNode,
    commitSecret,
    privateTree,
    pathSecrets,
    pathSecretFor: (leaf) =>
      pathSecrets.get(commonAncestor(2 * leafIndex, 2 * leaf)),
    encrypt: async (groupContext) => {
      // One batch for the whole path: every ciphertext has the same context.
      const counts: number[] = [];
      const recipients = steps.flatMap((s, k) => {
        const res = t.resolution(s.copath, excluded);
        counts.push(res.length);
        return res.map((r) => ({
          publicKey: t.encryptionKey(r)!,
          plaintext: secrets[k],
        }));
      });
      const sealed = await encryptWithLabelMany(
        cs,
        recipients,
        "UpdatePathNode",
        groupContext,
      );
      let at = 0;
      return {
        leafNode,
        nodes: steps.map((_, k) => ({
          encryptionKey: pubs[k],
          encryptedPathSecret: sealed.slice(at, at += counts[k]),
        })),
      };
    },
  };
}

/** The result of {@link createUpdatePath}. */
export interface CreatedUpdatePath extends PreparedUpdatePath {
  /** The encrypted UpdatePath for the Commit. */
  updatePath: UpdatePath;
}

/**
 * Both phases of committing with a path: {@link prepareUpdatePath}, then
 * `groupContext(treeHash)`, then encryption.
 *
 * @param cs the suite's crypto
 * @param tree the tree after this commit's proposals (not modified)
 * @param leafIndex the committer's leaf
 * @param options as {@link UpdatePathOptions}, plus the context builder
 * @returns the UpdatePath, new tree, commit secret and private state
 */
export async function createUpdatePath(
  cs: SuiteCrypto,
  tree: RatchetTree,
  leafIndex: LeafIndex,
  options: UpdatePathOptions & { groupContext: GroupContextBuilder },
): Promise<CreatedUpdatePath> {
  const prepared = await prepareUpdatePath(cs, tree, leafIndex, options);
  const ctx = await options.groupContext(prepared.treeHash);
  return { ...prepared, updatePath: await prepared.encrypt(ctx) };
}

/** A received path merged into a tree (phase one of applying it). */
export interface MergedUpdatePath {
  /** The new tree: the input's clone with the path merged. */
  tree: RatchetTree;
  /** Its root tree hash, for the provisional GroupContext. */
  treeHash: Uint8Array;
}

/**
 * Phase one of applying a received UpdatePath (§7.5, §12.4.2): validates
 * the new leaf node (§7.3, source `commit`, signed for `sender`), checks the
 * node count against the sender's filtered direct path and that no public
 * key in the path is already in the tree, merges the keys into a clone of
 * `tree`, and verifies the leaf's `parent_hash` (§7.9.2). An external
 * joiner's `sender` is the leftmost blank leaf.
 *
 * @param cs the suite's crypto
 * @param tree the tree after this commit's proposals (not modified)
 * @param sender the committer's leaf index
 * @param path the received UpdatePath
 * @param options group id (leaf signature context), time, capabilities
 * @returns the merged tree and its tree hash
 */
export async function mergeUpdatePath(
  cs: SuiteCrypto,
  tree: RatchetTree,
  sender: LeafIndex,
  path: UpdatePath,
  options: LeafValidationOptions,
): Promise<MergedUpdatePath> {
  const leaf = path.leafNode;
  const t = tree.clone();
  const member = tree.getLeaf(sender) !== undefined;
  if (!member) {
    if (t.leftmostBlankLeaf() !== sender) {
      throw new MlsError(
        "invalid_leaf_index",
        "a new committer must take the leftmost blank leaf",
        `leaf[${sender}]`,
      );
    }
    t.addLeaf(leaf);
  }
  const steps = t.filteredPath(sender);
  if (path.nodes.length !== steps.length) {
    throw new MlsError(
      "invalid_update_path",
      `UpdatePath has ${path.nodes.length} nodes, filtered direct path ${steps.length}`,
      "UpdatePath.nodes",
    );
  }
  const seen = new Set([toHex(leaf.encryptionKey)]);
  path.nodes.forEach((n, k) => {
    const h = toHex(n.encryptionKey);
    if (
      seen.has(h) || tree.findNodeByEncryptionKey(n.encryptionKey) !== undefined
    ) {
      throw new MlsError(
        "duplicate_encryption_key",
        "UpdatePath key already in the tree",
        `UpdatePath.nodes[${k}]`,
      );
    }
    seen.add(h);
  });

  const pubs = path.nodes.map((n) => n.encryptionKey);
  t.blankDirectPath(sender);
  const setPath = (fields: readonly Uint8Array[]) =>
    steps.forEach((s, k) =>
      t.setParent(s.node, {
        encryptionKey: pubs[k],
        parentHash: fields[k],
        unmergedLeaves: [],
      })
    );
  setPath(steps.map(() => EMPTY));
  const [, hashes] = await Promise.all([
    validateLeafNode(cs, tree, leaf, {
      ...options,
      leafIndex: sender,
      source: LeafNodeSource.commit,
      replacing: member,
    }),
    pathParentHashes(cs, t, steps, pubs),
  ]);
  if (
    leaf.leafNodeSource !== LeafNodeSource.commit ||
    !bytesEqual(leaf.parentHash, hashes.leafParentHash)
  ) {
    throw new MlsError(
      "invalid_parent_hash",
      "the committer's leaf parent_hash does not match its path",
      `leaf[${sender}]`,
    );
  }
  setPath(hashes.fields);
  t.setLeaf(sender, leaf);
  return { tree: t, treeHash: await t.treeHash(cs) };
}

/** What a receiver learns from an UpdatePath. */
export interface DecryptedUpdatePath {
  /** `DeriveSecret(last path_secret, "path")`. */
  commitSecret: Uint8Array;
  /** The path secret decrypted (for the lowest common path node). */
  pathSecret: Uint8Array;
  /** The node whose path secret was decrypted. */
  node: NodeIndex;
  /** The receiver's private state for the merged tree. */
  privateTree: PrivateTree;
}

/**
 * Phase two of applying a received UpdatePath (§7.5): finds the copath node
 * above the receiver and the one node of its resolution the receiver holds
 * a key for (O(log n) with cached resolution sizes), decrypts that path
 * secret, derives the rest up to the root, and checks every derived public
 * key against the path.
 *
 * @param cs the suite's crypto
 * @param tree the merged tree from {@link mergeUpdatePath}
 * @param privateTree the receiver's private state (not modified)
 * @param sender the committer's leaf index
 * @param path the UpdatePath
 * @param groupContext the serialized provisional GroupContext
 * @param excludedLeaves leaves added by this commit
 * @returns the commit secret and the receiver's new private state
 * @throws MlsError `invalid_update_path`, `no_decryption_key`,
 *   `crypto_failure`, `invalid_path_public_key`
 */
export async function decryptUpdatePath(
  cs: SuiteCrypto,
  tree: RatchetTree,
  privateTree: PrivateTree,
  sender: LeafIndex,
  path: UpdatePath,
  groupContext: Uint8Array,
  excludedLeaves?: Iterable<LeafIndex>,
): Promise<DecryptedUpdatePath> {
  const me = privateTree.leafIndex;
  const excluded = new Set(excludedLeaves ?? []);
  if (me === sender || excluded.has(me)) {
    throw new MlsError(
      "invalid_argument",
      "the committer and members it adds do not decrypt its path",
      `leaf[${me}]`,
    );
  }
  const steps = tree.filteredPath(sender);
  checkCiphertextCounts(tree, steps, path, excluded);
  const k = steps.findIndex((s) => isInSubtree(2 * me, s.copath));
  if (k < 0) {
    throw new MlsError("invalid_argument", "not a member", `leaf[${me}]`);
  }
  const copath = steps[k].copath;
  let holder = -1, idx = -1;
  for (const x of [2 * me, ...tree.directPath(me)]) {
    if (privateTree.privateKey(x)) {
      idx = tree.resolutionIndex(copath, x, excluded);
      if (idx >= 0) {
        holder = x;
        break;
      }
    }
    if (x === copath) break;
  }
  if (idx < 0) {
    throw new MlsError(
      "no_decryption_key",
      "no private key for the copath resolution",
      `node[${copath}]`,
    );
  }
  const ct = path.nodes[k].encryptedPathSecret[idx];
  let pathSecret: Uint8Array;
  try {
    pathSecret = await decryptWithLabel(
      cs,
      privateTree.privateKey(holder)!,
      "UpdatePathNode",
      groupContext,
      ct.kemOutput,
      ct.ciphertext,
      privateTree.publicKey(holder),
    );
  } catch (cause) {
    throw new MlsError(
      "crypto_failure",
      "cannot decrypt the path secret",
      `UpdatePath.nodes[${k}].encrypted_path_secret[${idx}]`,
      { cause },
    );
  }
  const secrets = [pathSecret];
  for (let j = k + 1; j <= steps.length; j++) {
    secrets.push(await deriveSecret(cs, secrets[secrets.length - 1], "path"));
  }
  const commitSecret = secrets.pop()!;
  const pairs = await Promise.all(secrets.map((s) => nodeKeyPair(cs, s)));
  const next = privateTree.clone();
  next.sync(tree);
  pairs.forEach((kp, i) => {
    const x = steps[k + i].node;
    if (!bytesEqual(kp.publicKey, path.nodes[k + i].encryptionKey)) {
      next.wipe();
      throw new MlsError(
        "invalid_path_public_key",
        "derived public key differs from the UpdatePath's",
        `node[${x}]`,
      );
    }
    next.set(x, kp.privateKey, kp.publicKey);
  });
  pairs.forEach((kp) => wipe(kp.privateKey));
  secrets.slice(1).forEach(wipe);
  return { commitSecret, pathSecret, node: steps[k].node, privateTree: next };
}

// §7.6: one ciphertext per resolution node, new members excluded.
function checkCiphertextCounts(
  tree: RatchetTree,
  steps: readonly PathStep[],
  path: UpdatePath,
  excluded: ReadonlySet<LeafIndex>,
): void {
  if (path.nodes.length !== steps.length) {
    throw new MlsError(
      "invalid_update_path",
      `UpdatePath has ${path.nodes.length} nodes, filtered direct path ${steps.length}`,
      "UpdatePath.nodes",
    );
  }
  steps.forEach((s, k) => {
    let want = tree.resolutionSize(s.copath);
    for (const u of excluded) if (isInSubtree(2 * u, s.copath)) want--;
    if (path.nodes[k].encryptedPathSecret.length !== want) {
      throw new MlsError(
        "invalid_update_path",
        `expected ${want} ciphertexts`,
        `UpdatePath.nodes[${k}].encrypted_path_secret`,
      );
    }
  });
}

/** The result of {@link applyUpdatePath}. */
export interface AppliedUpdatePath extends DecryptedUpdatePath {
  /** The new tree with the path merged. */
  tree: RatchetTree;
  /** Its root tree hash. */
  treeHash: Uint8Array;
}

/**
 * Both phases of applying a received UpdatePath: {@link mergeUpdatePath},
 * then `groupContext(treeHash)`, then {@link decryptUpdatePath}.
 *
 * @param cs the suite's crypto
 * @param tree the tree after this commit's proposals (not modified)
 * @param privateTree the receiver's private state (not modified)
 * @param sender the committer's leaf index
 * @param path the received UpdatePath
 * @param options validation options, context builder, excluded leaves
 * @returns the new tree, commit secret and private state
 */
export async function applyUpdatePath(
  cs: SuiteCrypto,
  tree: RatchetTree,
  privateTree: PrivateTree,
  sender: LeafIndex,
  path: UpdatePath,
  options: LeafValidationOptions & {
    groupContext: GroupContextBuilder;
    excludedLeaves?: Iterable<LeafIndex>;
  },
): Promise<AppliedUpdatePath> {
  const merged = await mergeUpdatePath(cs, tree, sender, path, options);
  const ctx = await options.groupContext(merged.treeHash);
  const out = await decryptUpdatePath(
    cs,
    merged.tree,
    privateTree,
    sender,
    path,
    ctx,
    options.excludedLeaves,
  );
  return { ...out, ...merged };
}
