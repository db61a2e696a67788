/**
 * The storage of the key export service, apart from the delivery store:
 * sealed exports (HPKE ciphertexts only: the service never holds a
 * secret), each consumer's signature key as last authorized (so a revoked
 * consumer can still fetch the epochs it was authorized for), and the
 * nonces of fetch requests seen within the replay window. Two
 * implementations: `MemoryExportStore` and `KvExportStore` (Deno KV).
 *
 * The service cannot tell a good ciphertext from garbage, so it keeps one
 * copy of each export per posting member (leaf index): a member's copy is
 * never replaced, by itself or anyone else, and no member can keep the
 * others' copies from the consumer, which opens them all (`ExportConsumer`).
 * Copies of one export are bounded by the group's size and by the store's
 * `maxCopies`.
 *
 * @module
 */

/** One sealed export, as stored: one member's copy. */
export interface StoredExport {
  /** The consumer id, hex of its UTF-8. */
  readonly consumerId: string;
  /** The epoch. */
  readonly epoch: number;
  /** The exporter label (UTF-8). */
  readonly label: Uint8Array;
  /** The exporter context. */
  readonly context: Uint8Array;
  /** The leaf index of the member that posted this copy. */
  readonly poster: number;
  /** HPKE `enc`. */
  readonly kemOutput: Uint8Array;
  /** HPKE ciphertext. */
  readonly ciphertext: Uint8Array;
}

/** A consumer's signature key, as the group last authorized it. */
export interface ConsumerRecord {
  /** The consumer id, hex of its UTF-8. */
  readonly consumerId: string;
  /** Its signature public key. */
  readonly signatureKey: Uint8Array;
}

/**
 * What {@link ExportStore.putExports} did: `stored` new copies, or nothing
 * at all (`full`) because an export already had `maxCopies` copies from
 * other members.
 */
export type PutResult =
  | { readonly stored: number; readonly full?: undefined }
  | {
    readonly full: true;
  };

/** Wakes a waiting fetch or stream when a consumer's exports may have changed. */
export interface ExportSubscription {
  /**
   * Resolves true when exports were stored for the consumer since the
   * last call (or since subscribing), false after `timeoutMs` or once
   * closed. Wake-ups may be spurious: the caller lists again.
   */
  changed(timeoutMs: number): Promise<boolean>;
  /** Ends the subscription. */
  close(): void;
}

/** Storage of the key export service. */
export interface ExportStore {
  /**
   * Stores a member's exports of one group and epoch and the consumers'
   * keys, in one atomic step. A copy already stored from the same poster
   * (consumer, epoch, label, context, poster) is kept, not replaced. When a
   * new copy would make more than `maxCopies` of one export, nothing is
   * stored (`{ full: true }`).
   */
  putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
    maxCopies: number,
  ): Promise<PutResult>;
  /**
   * A consumer's exports of epochs `fromEpoch` on, in order of epoch,
   * label, context and poster; at most `limit`.
   */
  listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]>;
  /**
   * Subscribes to stores of the consumer's exports (by this process or,
   * for a shared database, another). Subscribe, then list: nothing stored
   * in between is missed.
   */
  subscribe(groupId: string, consumerId: string): Promise<ExportSubscription>;
  /** The consumer's last authorized key, if any export was stored for it. */
  consumer(groupId: string, consumerId: string): Promise<ConsumerRecord | null>;
  /**
   * Records a request nonce until `expiresAt` (ms); false when it was
   * recorded already and has not expired (a replay). Atomic.
   */
  useNonce(nonce: string, now: number, expiresAt: number): Promise<boolean>;
  /** Releases resources. */
  close(): void | Promise<void>;
}

/** The key of one export (all its copies) within a group. */
export function exportKey(e: StoredExport): string {
  return `${e.consumerId}/${e.epoch}/${hex(e.label)}/${hex(e.context)}`;
}

/** The key of a consumer's subscriptions. */
export function watchKey(groupId: string, consumerId: string): string {
  return `${groupId}/${consumerId}`;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
