/**
 * The private TreeKEM state of one member (RFC 9420 §4.2, §7.4): its leaf
 * index and the HPKE private keys it holds, for its leaf and for nodes on
 * its direct path. Each key is stored with its public key, so the state can
 * be reconciled with the public tree: keys whose node was blanked or
 * replaced are dropped and wiped (§7.5: "delete outdated key material").
 *
 * Key bytes are never shared between instances ({@link PrivateTree.clone}
 * copies them), so wiping one state never corrupts another.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { HpkeKeyPair, SuiteCrypto } from "../../providers/provider.ts";
import { deriveSecret } from "../crypto/labeled.ts";
import { bytesEqual, wipe } from "../util/bytes.ts";
import type { RatchetTree } from "./ratchet_tree.ts";
import type { LeafIndex, NodeIndex } from "./tree_math.ts";

type KeyPair = HpkeKeyPair;

/**
 * `DeriveKeyPair(DeriveSecret(path_secret, "node"))` (§7.4): the node key
 * pair a path secret stands for.
 *
 * @param cs the suite's crypto
 * @param pathSecret the node's path secret
 * @returns the HPKE key pair
 */
export async function nodeKeyPair(
  cs: SuiteCrypto,
  pathSecret: Uint8Array,
): Promise<HpkeKeyPair> {
  const nodeSecret = await deriveSecret(cs, pathSecret, "node");
  try {
    return await cs.hpkeDeriveKeyPair(nodeSecret);
  } finally {
    wipe(nodeSecret);
  }
}

/** The node private keys one member holds. */
export class PrivateTree {
  /** The member's leaf index. */
  readonly leafIndex: LeafIndex;
  #keys = new Map<NodeIndex, KeyPair>();

  /**
   * A state for the member at `leafIndex`, holding its leaf key if given.
   *
   * @param leafIndex the member's leaf
   * @param leafPrivateKey its HPKE private key (copied), if known
   * @param leafPublicKey the matching public key (the leaf's
   *   `encryption_key`); required with `leafPrivateKey`
   */
  constructor(
    leafIndex: LeafIndex,
    leafPrivateKey?: Uint8Array,
    leafPublicKey?: Uint8Array,
  ) {
    this.leafIndex = leafIndex;
    if (leafPrivateKey && leafPublicKey) {
      this.set(2 * leafIndex, leafPrivateKey, leafPublicKey);
    }
  }

  /**
   * A state holding only the leaf key, its public half computed.
   *
   * @param cs the suite's crypto
   * @param leafIndex the member's leaf
   * @param leafPrivateKey its HPKE private key (copied)
   * @returns the state
   */
  static async fromLeafKey(
    cs: SuiteCrypto,
    leafIndex: LeafIndex,
    leafPrivateKey: Uint8Array,
  ): Promise<PrivateTree> {
    const pub = await cs.hpkePublicKey(leafPrivateKey);
    return new PrivateTree(leafIndex, leafPrivateKey, pub);
  }

  /** The HPKE private key of the member's leaf, if held. */
  get leafPrivateKey(): Uint8Array | undefined {
    return this.#keys.get(2 * this.leafIndex)?.privateKey;
  }

  /** The private key held for node `x`, if any. */
  privateKey(x: NodeIndex): Uint8Array | undefined {
    return this.#keys.get(x)?.privateKey;
  }

  /** The public key recorded with node `x`'s private key, if any. */
  publicKey(x: NodeIndex): Uint8Array | undefined {
    return this.#keys.get(x)?.publicKey;
  }

  /** The nodes a private key is held for, ascending. */
  nodes(): NodeIndex[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  /**
   * Stores a key pair for node `x` (copied), wiping any key it replaces.
   *
   * @param x node index
   * @param privateKey HPKE private key
   * @param publicKey matching public key
   */
  set(x: NodeIndex, privateKey: Uint8Array, publicKey: Uint8Array): void {
    this.delete(x);
    this.#keys.set(x, {
      privateKey: privateKey.slice(),
      publicKey: publicKey.slice(),
    });
  }

  /** Drops and wipes the key of node `x`. */
  delete(x: NodeIndex): void {
    const old = this.#keys.get(x);
    if (!old) return;
    wipe(old.privateKey);
    this.#keys.delete(x);
  }

  /**
   * Sets node `x`'s key from its path secret (§7.4).
   *
   * @param cs the suite's crypto
   * @param x node index
   * @param pathSecret the node's path secret
   * @returns the derived public key
   */
  async setPathSecret(
    cs: SuiteCrypto,
    x: NodeIndex,
    pathSecret: Uint8Array,
  ): Promise<Uint8Array> {
    const kp = await nodeKeyPair(cs, pathSecret);
    this.set(x, kp.privateKey, kp.publicKey);
    wipe(kp.privateKey);
    return kp.publicKey;
  }

  /**
   * Sets keys from a path secret for `start` and every later node of this
   * member's filtered direct path (a Welcome's `path_secret`, §12.4.3.1),
   * checking each derived public key against the tree.
   *
   * @param cs the suite's crypto
   * @param tree the public tree
   * @param start a node on this member's filtered direct path
   * @param pathSecret the path secret of `start`
   * @throws MlsError `invalid_path_secret` if `start` is not on the path,
   *   `invalid_path_public_key` if a derived key does not match the tree
   */
  async setPathSecretsFrom(
    cs: SuiteCrypto,
    tree: RatchetTree,
    start: NodeIndex,
    pathSecret: Uint8Array,
  ): Promise<void> {
    const path = tree.filteredDirectPath(this.leafIndex);
    const k = path.indexOf(start);
    if (k < 0) {
      throw new MlsError(
        "invalid_path_secret",
        "node is not on the member's filtered direct path",
        `node[${start}]`,
      );
    }
    const secrets = [pathSecret];
    for (let i = k + 1; i < path.length; i++) {
      secrets.push(await deriveSecret(cs, secrets[secrets.length - 1], "path"));
    }
    const pairs = await Promise.all(secrets.map((s) => nodeKeyPair(cs, s)));
    pairs.forEach((kp, i) => {
      const x = path[k + i];
      if (
        !bytesEqual(kp.publicKey, tree.encryptionKey(x) ?? new Uint8Array())
      ) {
        throw new MlsError(
          "invalid_path_public_key",
          "path secret does not match the tree's public key",
          `node[${x}]`,
        );
      }
    });
    pairs.forEach((kp, i) => {
      this.set(path[k + i], kp.privateKey, kp.publicKey);
      wipe(kp.privateKey);
    });
    secrets.slice(1).forEach(wipe);
  }

  /**
   * Drops (and wipes) every key whose node is outside the tree, blank, or
   * holds a different public key now. O(keys held) = O(log n).
   *
   * @param tree the public tree to reconcile with
   */
  sync(tree: RatchetTree): void {
    for (const [x, kp] of this.#keys) {
      const pub = x < tree.nodeWidth ? tree.encryptionKey(x) : undefined;
      if (!pub || !bytesEqual(pub, kp.publicKey)) this.delete(x);
    }
  }

  /**
   * Checks that every key held matches a non-blank node of the tree with
   * the same public key.
   *
   * @param tree the public tree
   * @throws MlsError `inconsistent_private_key`, `field` = `node[x]`
   */
  assertConsistent(tree: RatchetTree): void {
    for (const [x, kp] of this.#keys) {
      const pub = x < tree.nodeWidth ? tree.encryptionKey(x) : undefined;
      if (!pub || !bytesEqual(pub, kp.publicKey)) {
        throw new MlsError(
          "inconsistent_private_key",
          "private key does not match the tree",
          `node[${x}]`,
        );
      }
    }
  }

  /** A deep copy (key bytes copied). */
  clone(): PrivateTree {
    const out = new PrivateTree(this.leafIndex);
    for (const [x, kp] of this.#keys) out.set(x, kp.privateKey, kp.publicKey);
    return out;
  }

  /** Wipes and drops every key. */
  wipe(): void {
    for (const x of [...this.#keys.keys()]) this.delete(x);
  }
}
