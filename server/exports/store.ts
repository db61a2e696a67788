/**
 * The storage of the key export service, apart from the delivery store:
 * sealed exports (HPKE ciphertexts only: the service never holds a
 * secret), each consumer's signature key as last authorized (so a revoked
 * consumer can still fetch the epochs it was authorized for), and the
 * nonces of fetch requests seen within the replay window. Two
 * implementations: `MemoryExportStore` and `KvExportStore` (Deno KV).
 *
 * @module
 */

/** One sealed export, as stored. */
export interface StoredExport {
  /** The consumer id, hex of its UTF-8. */
  readonly consumerId: string;
  /** The epoch. */
  readonly epoch: number;
  /** The exporter label (UTF-8). */
  readonly label: Uint8Array;
  /** The exporter context. */
  readonly context: Uint8Array;
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

/** Storage of the key export service. */
export interface ExportStore {
  /**
   * Stores a member's exports of one group and epoch and the consumers'
   * keys, in one atomic step. An export already stored (same consumer,
   * epoch, label and context) is kept, not replaced: the first accepted
   * wins. Returns how many were new.
   */
  putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
  ): Promise<number>;
  /** A consumer's exports of epochs `fromEpoch` on, in epoch order. */
  listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]>;
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

/** The key of one export within a group. */
export function exportKey(e: StoredExport): string {
  return `${e.consumerId}/${e.epoch}/${hex(e.label)}/${hex(e.context)}`;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
