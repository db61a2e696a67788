/**
 * A growable byte buffer for encoding. Encoders append to one Writer instead
 * of concatenating arrays, so encoding a structure costs one allocation in
 * the common case.
 *
 * @module
 */

import { MlsError } from "../errors.ts";

/** Largest length a variable-length vector header can carry (§2.1.2). */
export const MAX_VARINT = 0x3fffffff;

/** Appends TLS-presentation-language values to a buffer. */
export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  #head: number;
  #len: number;

  /**
   * Creates an empty writer.
   *
   * @param capacity initial buffer size in bytes
   * @param headroom bytes kept free before the output, so that a header
   *   computed once the output is known can be put in front of it without
   *   copying (see {@link Writer.withHeader})
   */
  constructor(capacity = 256, headroom = 0) {
    this.#buf = new Uint8Array(capacity + headroom);
    this.#view = new DataView(this.#buf.buffer);
    this.#head = this.#len = headroom;
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len - this.#head;
  }

  // Callers must call #reserve before reading #buf/#view: it may replace them.
  #reserve(n: number): number {
    const at = this.#len;
    const need = at + n;
    if (need > this.#buf.length) {
      // Double, but a single large write gets what it needs plus an eighth
      // (not up to twice its size, zero-filled).
      const cap = Math.max(this.#buf.length * 2, 64, need + (need >>> 3));
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len = need;
    return at;
  }

  /** Writes an unsigned 8-bit integer. */
  u8(v: number): void {
    const at = this.#reserve(1);
    this.#buf[at] = v;
  }

  /** Writes a big-endian unsigned 16-bit integer. */
  u16(v: number): void {
    const at = this.#reserve(2);
    this.#view.setUint16(at, v);
  }

  /** Writes a big-endian unsigned 32-bit integer. */
  u32(v: number): void {
    const at = this.#reserve(4);
    this.#view.setUint32(at, v);
  }

  /** Writes a big-endian unsigned 64-bit integer. */
  u64(v: bigint): void {
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, v);
  }

  /** Appends raw bytes with no length prefix. */
  bytes(b: Uint8Array): void {
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
  }

  /** Writes a minimal variable-length integer header (RFC 9420 §2.1.2). */
  varint(n: number): void {
    if (n < 0x40) this.u8(n);
    else if (n < 0x4000) this.u16(0x4000 | n);
    else if (n <= MAX_VARINT) this.u32(0x80000000 + n);
    else {
      throw new MlsError("invalid_value", "vector too long to encode");
    }
  }

  /** Writes `b` as `opaque<V>`: a varint length, then the bytes. */
  opaque(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }

  /**
   * Writes a variable-length vector whose body is produced by `body`. The
   * body is written in place and shifted once if its header needs more than
   * one byte, so no temporary buffer is allocated.
   */
  vector(body: () => void): void {
    const at = this.#reserve(1);
    body();
    const n = this.#len - at - 1;
    if (n < 0x40) {
      this.#buf[at] = n;
      return;
    }
    const header = n < 0x4000 ? 2 : 4;
    this.#reserve(header - 1);
    this.#buf.copyWithin(at + header, at + 1, at + 1 + n);
    if (header === 2) this.#view.setUint16(at, 0x4000 | n);
    else if (n <= MAX_VARINT) this.#view.setUint32(at, 0x80000000 + n);
    else throw new MlsError("invalid_value", "vector too long to encode");
  }

  /** Returns a copy-free view of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.subarray(this.#head, this.#len);
  }

  /**
   * Puts `header` into the headroom right before the output and returns a
   * copy-free view of both; `undefined` when the headroom is too small. The
   * output itself ({@link Writer.finish}) is unchanged.
   */
  withHeader(header: Uint8Array): Uint8Array | undefined {
    const at = this.#head - header.length;
    if (at < 0) return undefined;
    this.#buf.set(header, at);
    return this.#buf.subarray(at, this.#len);
  }
}
