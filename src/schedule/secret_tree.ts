/**
 * The secret tree and its per-leaf hash ratchets (RFC 9420 §9), with the
 * deletion schedule of §9.2.
 *
 * The tree is derived lazily: it starts as the single root secret
 * (`encryption_secret`), and a leaf's path is expanded only when that leaf's
 * ratchets are first needed, O(log n) derivations per leaf. Expanding a node
 * derives both children at once and deletes the node's own secret, so the
 * stored nodes are always the frontier of what has not been expanded yet.
 * A leaf secret is deleted as soon as its handshake and application
 * ratchets are initialized.
 *
 * ## State and atomicity
 *
 * A {@link SecretTree} owns its state ({@link SecretTreeState}: plain maps
 * and records of bytes, see `group/stored/format.ts` for the stored form) and
 * mutates it in place; every operation runs under an internal lock, so
 * concurrent calls are serialized and never observe a half-applied change.
 * Atomicity is per operation rather than by copying the whole tree:
 *
 * - Receiving: {@link SecretTree.withKey} lends the key and nonce of a
 *   generation to a callback (typically the AEAD open). The ratchet is
 *   advanced, and the key deleted, only if the callback resolves; if it
 *   throws, the ratchet is exactly as before (a forged message cannot burn
 *   keys). Path expansion done on the way is kept: it is an equivalent
 *   representation of the same secrets, not a consumption.
 * - Sending: {@link SecretTree.nextKey} consumes the next generation at
 *   once; a failed encryption only leaves a gap, which receivers tolerate.
 * - A whole-group transaction can take a snapshot with
 *   {@link SecretTree.clone} (a deep copy: wiping one copy never touches the
 *   other) and swap it in on success.
 *
 * ## Change tracking
 *
 * The tree records which entries of its state changed: leaves whose
 * ratchets were initialized or stepped, and nodes whose secrets were added
 * or deleted. {@link SecretTree.takeChanges} returns them and starts a new
 * record, so that a caller persisting the tree can write only what changed
 * (O(1) entries per message from a known sender, O(log n) when a leaf's
 * path is expanded) instead of the whole state.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { deriveTreeSecret, expandWithLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { leafToNode, left, parent, right, root } from "../tree/tree_math.ts";
import { utf8Encode, wipe } from "../util/bytes.ts";

/** Which of a leaf's two hash ratchets (§9, Figure 26). */
export type RatchetType = "handshake" | "application";

/** An AEAD key and nonce from a hash ratchet (§9.1). */
export interface RatchetKeyNonce {
  /** `ratchet_key_[N]_[j]`, `AEAD.Nk` bytes. */
  key: Uint8Array;
  /** `ratchet_nonce_[N]_[j]`, `AEAD.Nn` bytes. */
  nonce: Uint8Array;
}

/** A key and nonce together with the generation they belong to. */
export interface RatchetKey extends RatchetKeyNonce {
  /** The ratchet generation `j`. */
  generation: number;
}

/** The state of one hash ratchet. */
export interface HashRatchetState {
  /** Generation of {@link HashRatchetState.secret}: the next one unused. */
  generation: number;
  /** `ratchet_secret_[N]_[generation]`. */
  secret: Uint8Array;
  /**
   * Keys of skipped, still unconsumed earlier generations, kept for
   * out-of-order delivery; ascending by generation (insertion order).
   */
  skipped: Map<number, RatchetKeyNonce>;
}

/** The two ratchets of one leaf. */
export interface LeafRatchets {
  /** Ratchet for handshake messages (proposals, commits). */
  handshake: HashRatchetState;
  /** Ratchet for application messages. */
  application: HashRatchetState;
}

/** The serializable state of a secret tree. */
export interface SecretTreeState {
  /** Number of leaves of the ratchet tree the secret tree mirrors. */
  leafCount: number;
  /** Node index → secret, for nodes neither expanded nor deleted yet. */
  nodes: Map<number, Uint8Array>;
  /** Leaf index → ratchets, for leaves whose ratchets are initialized. */
  leaves: Map<number, LeafRatchets>;
}

/** Limits for out-of-order delivery. */
export interface SecretTreeOptions {
  /**
   * How far ahead of a ratchet's next generation a requested generation may
   * be; further is `generation_too_far`. Default 1000.
   */
  maxForwardGeneration?: number;
  /**
   * How many skipped generations' keys a ratchet keeps for late messages;
   * the oldest are deleted first. Default 64.
   */
  maxSkippedKeys?: number;
}

/** Default {@link SecretTreeOptions.maxForwardGeneration}. */
export const DEFAULT_MAX_FORWARD_GENERATION = 1000;
/** Default {@link SecretTreeOptions.maxSkippedKeys}. */
export const DEFAULT_MAX_SKIPPED_KEYS = 64;

const MAX_GENERATION = 0xffffffff;
const EMPTY = new Uint8Array(0);
const LEFT = utf8Encode("left");
const RIGHT = utf8Encode("right");

/** The entries of a tree's state changed since the last record was taken. */
export interface SecretTreeChanges {
  /** Leaves whose ratchets were initialized or stepped (or deleted). */
  leaves: number[];
  /** Nodes whose secret was added or deleted. */
  nodes: number[];
}

/** A computed but not yet applied ratchet step. */
interface Step {
  key: Uint8Array;
  nonce: Uint8Array;
  apply(): void;
  discard(): void;
}

/** The secret tree of one epoch (§9); see the module notes on atomicity. */
export class SecretTree {
  readonly #cs: SuiteCrypto;
  readonly #state: SecretTreeState;
  readonly #maxForward: number;
  readonly #maxSkipped: number;
  #queue: Promise<unknown> = Promise.resolve();
  /** Operations started and not yet settled. */
  #running = 0;
  /** Leaves and nodes changed since the last {@link SecretTree.takeChanges}. */
  #changedLeaves = new Set<number>();
  #changedNodes = new Set<number>();

  private constructor(
    cs: SuiteCrypto,
    state: SecretTreeState,
    options: SecretTreeOptions,
  ) {
    this.#cs = cs;
    this.#state = state;
    this.#maxForward = options.maxForwardGeneration ??
      DEFAULT_MAX_FORWARD_GENERATION;
    this.#maxSkipped = options.maxSkippedKeys ?? DEFAULT_MAX_SKIPPED_KEYS;
    if (!(this.#maxForward >= 0) || !(this.#maxSkipped >= 0)) {
      throw new MlsError("invalid_argument", "negative secret tree limit");
    }
  }

  /**
   * A fresh tree whose root secret is `encryptionSecret`. The tree takes
   * ownership of that buffer and wipes it once the root is expanded (§9.2);
   * pass a copy if the caller still needs it.
   */
  static create(
    cs: SuiteCrypto,
    encryptionSecret: Uint8Array,
    leafCount: number,
    options: SecretTreeOptions = {},
  ): SecretTree {
    if (!Number.isInteger(leafCount) || leafCount < 1) {
      throw new MlsError("invalid_argument", "secret tree needs leaves");
    }
    const nodes = new Map([[root(leafCount), encryptionSecret]]);
    return new SecretTree(cs, { leafCount, nodes, leaves: new Map() }, options);
  }

  /** A tree over existing state (e.g. deserialized); takes ownership. */
  static fromState(
    cs: SuiteCrypto,
    state: SecretTreeState,
    options: SecretTreeOptions = {},
  ): SecretTree {
    return new SecretTree(cs, state, options);
  }

  /** Number of leaves. */
  get leafCount(): number {
    return this.#state.leafCount;
  }

  /**
   * The live state, for serialization and inspection. Treat it as
   * read-only; it changes as the tree is used.
   */
  get state(): Readonly<SecretTreeState> {
    return this.#state;
  }

  /**
   * The leaves and nodes whose entries in {@link SecretTree.state} changed
   * since the tree was made (or cloned) or since the last call, which this
   * call clears. A leaf or node listed but absent from the state was
   * deleted.
   */
  takeChanges(): SecretTreeChanges {
    const out = {
      leaves: [...this.#changedLeaves],
      nodes: [...this.#changedNodes],
    };
    this.#changedLeaves.clear();
    this.#changedNodes.clear();
    return out;
  }

  /** A deep copy (bytes included) with the same limits and no changes. */
  clone(): SecretTree {
    const s = this.#state;
    const copy: SecretTreeState = {
      leafCount: s.leafCount,
      nodes: new Map(),
      leaves: new Map(),
    };
    for (const [i, v] of s.nodes) copy.nodes.set(i, v.slice());
    for (const [i, l] of s.leaves) {
      copy.leaves.set(i, {
        handshake: cloneRatchet(l.handshake),
        application: cloneRatchet(l.application),
      });
    }
    return new SecretTree(this.#cs, copy, {
      maxForwardGeneration: this.#maxForward,
      maxSkippedKeys: this.#maxSkipped,
    });
  }

  /**
   * The key and nonce for the next generation of a ratchet, consumed at
   * once (the sending side: §6.3.1). The caller owns the returned buffers.
   */
  nextKey(leaf: number, type: RatchetType): Promise<RatchetKey> {
    return this.#exclusive(async () => {
      const r = (await this.#ratchets(leaf))[type];
      const generation = r.generation;
      const step = await this.#step(r, generation);
      step.apply();
      this.#changedLeaves.add(leaf);
      return { generation, key: step.key, nonce: step.nonce };
    });
  }

  /**
   * Runs `use` with the key and nonce of `generation`, then consumes them
   * if `use` resolves (§9.2: deleted once used to decrypt successfully) and
   * leaves the ratchet untouched if it throws. The buffers are wiped once
   * consumed (or when freshly derived and `use` throws); copy them to keep
   * them. `use` must not call back into this tree: operations are
   * serialized, so that would deadlock.
   *
   * Throws `generation_too_old` for a generation already consumed or no
   * longer kept, `generation_too_far` beyond the forward window, and
   * `invalid_leaf_index` for a leaf outside the tree.
   */
  withKey<T>(
    leaf: number,
    type: RatchetType,
    generation: number,
    use: (key: Uint8Array, nonce: Uint8Array) => Promise<T> | T,
  ): Promise<T> {
    checkGeneration(generation);
    return this.#exclusive(async () => {
      const r = (await this.#ratchets(leaf))[type];
      const step = await this.#step(r, generation);
      let out: T;
      try {
        out = await use(step.key, step.nonce);
      } catch (e) {
        step.discard();
        throw e;
      }
      step.apply();
      this.#changedLeaves.add(leaf);
      wipe(step.key);
      wipe(step.nonce);
      return out;
    });
  }

  /**
   * The key and nonce of `generation`, consumed at once; the caller owns
   * the returned buffers. Prefer {@link SecretTree.withKey} when decrypting,
   * so that a failed decryption does not consume the key.
   */
  consumeKey(
    leaf: number,
    type: RatchetType,
    generation: number,
  ): Promise<RatchetKey> {
    checkGeneration(generation);
    return this.#exclusive(async () => {
      const r = (await this.#ratchets(leaf))[type];
      const step = await this.#step(r, generation);
      step.apply();
      this.#changedLeaves.add(leaf);
      return { generation, key: step.key, nonce: step.nonce };
    });
  }

  /** Wipes and forgets every secret (the epoch is discarded). */
  wipe(): void {
    const s = this.#state;
    for (const v of s.nodes.values()) wipe(v);
    for (const l of s.leaves.values()) {
      wipeRatchet(l.handshake);
      wipeRatchet(l.application);
    }
    s.nodes.clear();
    s.leaves.clear();
    this.#changedLeaves.clear();
    this.#changedNodes.clear();
  }

  /**
   * Serializes operations: each waits for the previous one to settle. An
   * operation on an idle tree starts at once, so its first crypto call is
   * issued before the caller goes on (a sender signs while the ratchet
   * step runs).
   */
  #exclusive<T>(op: () => Promise<T>): Promise<T> {
    let run: Promise<T>;
    if (this.#running === 0) {
      try {
        run = op();
      } catch (e) {
        run = Promise.reject(e);
      }
    } else {
      run = this.#queue.then(op, op);
    }
    this.#running++;
    const settled = run.then(this.#settle, this.#settle);
    this.#queue = settled;
    return run;
  }

  #settle = (): void => {
    this.#running--;
  };

  /**
   * The ratchets of `leaf`, expanding the tree along the leaf's path from
   * the nearest stored ancestor if needed (§9, §9.2).
   */
  async #ratchets(leaf: number): Promise<LeafRatchets> {
    const s = this.#state;
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= s.leafCount) {
      throw new MlsError("invalid_leaf_index", `no leaf ${leaf} in tree`);
    }
    const known = s.leaves.get(leaf);
    if (known) return known;

    const cs = this.#cs;
    const nh = cs.hashLength;
    const changed = this.#changedNodes;
    const x = leafToNode(leaf);
    const top = root(s.leafCount);
    const path = [x];
    for (let n = x; !s.nodes.has(n); path.push(n)) {
      if (n === top) {
        throw new MlsError("invalid_argument", "secret tree was wiped");
      }
      n = parent(n, s.leafCount);
    }
    for (let i = path.length - 1; i > 0; i--) {
      const p = path[i];
      const secret = s.nodes.get(p)!;
      const [l, r] = await Promise.all([
        expandWithLabel(cs, secret, "tree", LEFT, nh),
        expandWithLabel(cs, secret, "tree", RIGHT, nh),
      ]);
      s.nodes.delete(p);
      wipe(secret);
      s.nodes.set(left(p), l);
      s.nodes.set(right(p), r);
      changed.add(p).add(left(p)).add(right(p));
    }
    const secret = s.nodes.get(x)!;
    const [hs, as] = await Promise.all([
      expandWithLabel(cs, secret, "handshake", EMPTY, nh),
      expandWithLabel(cs, secret, "application", EMPTY, nh),
    ]);
    s.nodes.delete(x);
    wipe(secret);
    changed.add(x);
    const ratchets: LeafRatchets = {
      handshake: { generation: 0, secret: hs, skipped: new Map() },
      application: { generation: 0, secret: as, skipped: new Map() },
    };
    s.leaves.set(leaf, ratchets);
    this.#changedLeaves.add(leaf);
    return ratchets;
  }

  /**
   * Computes, without changing `r`, the key and nonce of generation `g` and
   * the change that consumes them (§9.1).
   */
  async #step(r: HashRatchetState, g: number): Promise<Step> {
    if (g < r.generation) {
      const kn = r.skipped.get(g);
      if (!kn) {
        throw new MlsError(
          "generation_too_old",
          `generation ${g} already consumed or deleted`,
        );
      }
      return {
        key: kn.key,
        nonce: kn.nonce,
        apply: () => r.skipped.delete(g),
        discard: noop,
      };
    }
    if (g - r.generation > this.#maxForward) {
      throw new MlsError(
        "generation_too_far",
        `generation ${g} is more than ${this.#maxForward} ahead`,
      );
    }
    if (g > MAX_GENERATION) {
      throw new MlsError("generation_too_far", "ratchet exhausted");
    }
    const cs = this.#cs;
    const nh = cs.hashLength;
    // Generations below `keepFrom` would be evicted at once: skip their keys.
    const keepFrom = g - this.#maxSkipped;
    const kept: Promise<[number, RatchetKeyNonce]>[] = [];
    const spent: Uint8Array[] = [];
    let secret = r.secret;
    for (let j = r.generation; j < g; j++) {
      if (j >= keepFrom) kept.push(keyNonce(cs, secret, j));
      const next = await deriveTreeSecret(cs, secret, "secret", j, nh);
      if (secret !== r.secret) spent.push(secret);
      secret = next;
    }
    const [[, { key, nonce }], nextSecret, skipped] = await Promise.all([
      keyNonce(cs, secret, g),
      deriveTreeSecret(cs, secret, "secret", g, nh),
      Promise.all(kept),
    ]);
    if (secret !== r.secret) spent.push(secret);
    for (const s of spent) wipe(s);
    const maxSkipped = this.#maxSkipped;
    return {
      key,
      nonce,
      apply: () => {
        wipe(r.secret);
        r.secret = nextSecret;
        r.generation = g + 1;
        for (const [j, kn] of skipped) r.skipped.set(j, kn);
        if (r.skipped.size > maxSkipped) {
          for (const [j, kn] of r.skipped) {
            if (r.skipped.size <= maxSkipped) break;
            r.skipped.delete(j);
            wipeKeyNonce(kn);
          }
        }
      },
      discard: () => {
        wipe(key);
        wipe(nonce);
        wipe(nextSecret);
        for (const [, kn] of skipped) wipeKeyNonce(kn);
      },
    };
  }
}

async function keyNonce(
  cs: SuiteCrypto,
  secret: Uint8Array,
  j: number,
): Promise<[number, RatchetKeyNonce]> {
  const [key, nonce] = await Promise.all([
    deriveTreeSecret(cs, secret, "key", j, cs.aeadKeyLength),
    deriveTreeSecret(cs, secret, "nonce", j, cs.aeadNonceLength),
  ]);
  return [j, { key, nonce }];
}

function checkGeneration(g: number): void {
  if (!Number.isInteger(g) || g < 0 || g > MAX_GENERATION) {
    throw new MlsError("invalid_argument", "generation is not a uint32");
  }
}

function cloneRatchet(r: HashRatchetState): HashRatchetState {
  const skipped = new Map<number, RatchetKeyNonce>();
  for (const [j, kn] of r.skipped) {
    skipped.set(j, { key: kn.key.slice(), nonce: kn.nonce.slice() });
  }
  return { generation: r.generation, secret: r.secret.slice(), skipped };
}

function wipeKeyNonce(kn: RatchetKeyNonce): void {
  wipe(kn.key);
  wipe(kn.nonce);
}

function wipeRatchet(r: HashRatchetState): void {
  wipe(r.secret);
  for (const kn of r.skipped.values()) wipeKeyNonce(kn);
  r.skipped.clear();
}

function noop(): void {}
