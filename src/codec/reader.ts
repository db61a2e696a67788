/**
 * A bounded cursor over input bytes. Every read checks the bound first and
 * throws {@link MlsError} on truncation, so a decoder can never read past its
 * input nor surface a RangeError.
 *
 * @module
 */

import { MlsError } from "../errors.ts";

/** Reads TLS-presentation-language values from a byte range. */
export class Reader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;
  readonly #share: boolean;

  /**
   * Creates a reader over `buf[start, end)`.
   *
   * @param buf input bytes
   * @param start first readable offset
   * @param end offset one past the last readable byte
   * @param share make {@link Reader.bytes} return views of `buf` instead
   *   of copies: for a buffer the caller owns and never changes, so that
   *   decoding a large structure allocates no buffer per field (the values
   *   then keep `buf` alive as long as any of them lives)
   * @param view a DataView of all of `buf`, when the caller has one
   */
  constructor(
    buf: Uint8Array,
    start = 0,
    end: number = buf.length,
    share = false,
    view?: DataView,
  ) {
    this.#buf = buf;
    this.#view = view ??
      new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
    this.#share = share;
  }

  /** Bytes left before the end of this reader's range. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Current offset in the underlying buffer. */
  get position(): number {
    return this.#pos;
  }

  #take(n: number, field: string): number {
    const at = this.#pos;
    if (n > this.#end - at) {
      throw new MlsError(
        "truncated",
        `needed ${n} bytes, ${this.#end - at} left`,
        field,
      );
    }
    this.#pos = at + n;
    return at;
  }

  /** Reads an unsigned 8-bit integer. */
  u8(field: string): number {
    return this.#buf[this.#take(1, field)];
  }

  /** Reads a big-endian unsigned 16-bit integer. */
  u16(field: string): number {
    return this.#view.getUint16(this.#take(2, field));
  }

  /** Reads a big-endian unsigned 32-bit integer. */
  u32(field: string): number {
    return this.#view.getUint32(this.#take(4, field));
  }

  /** Reads a big-endian unsigned 64-bit integer. */
  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#take(8, field));
  }

  /**
   * Reads `n` raw bytes: a copy, so results never alias the input (a view
   * when the reader was made with `share`).
   */
  bytes(n: number, field: string): Uint8Array {
    const at = this.#take(n, field);
    return this.#share
      ? this.#buf.subarray(at, at + n)
      : this.#buf.slice(at, at + n);
  }

  /**
   * Reads `n` raw bytes as a view of the input, never a copy: for transient
   * fields (ciphertexts) that are read once and neither kept nor changed.
   */
  view(n: number, field: string): Uint8Array {
    const at = this.#take(n, field);
    return this.#buf.subarray(at, at + n);
  }

  /**
   * Reads a variable-length integer header (RFC 9420 §2.1.2), rejecting the
   * reserved `11` prefix and non-minimal encodings.
   */
  varint(field: string): number {
    const first = this.#buf[this.#take(1, field)];
    const prefix = first >> 6;
    if (prefix === 0) return first;
    if (prefix === 1) {
      const v = ((first & 0x3f) << 8) | this.#buf[this.#take(1, field)];
      if (v < 0x40) {
        throw new MlsError("non_minimal_varint", "non-minimal length", field);
      }
      return v;
    }
    if (prefix === 2) {
      const at = this.#take(3, field);
      const v = (first & 0x3f) * 0x1000000 +
        ((this.#buf[at] << 16) | (this.#buf[at + 1] << 8) | this.#buf[at + 2]);
      if (v < 0x4000) {
        throw new MlsError("non_minimal_varint", "non-minimal length", field);
      }
      return v;
    }
    throw new MlsError("invalid_varint", "reserved length prefix 0b11", field);
  }

  /** Reads `opaque<V>`: a varint length, then that many bytes. */
  opaque(field: string): Uint8Array {
    return this.bytes(this.varint(field), field);
  }

  /** Reads `opaque<V>` as a view of the input (see {@link Reader.view}). */
  opaqueView(field: string): Uint8Array {
    return this.view(this.varint(field), field);
  }

  /**
   * Reads a varint-prefixed vector header and returns a reader confined to
   * the vector's body, advancing this reader past it.
   */
  vector(field: string): Reader {
    const n = this.varint(field);
    const at = this.#take(n, field);
    return new Reader(this.#buf, at, at + n, this.#share, this.#view);
  }

  /** Throws `trailing_bytes` unless the range has been fully consumed. */
  end(field: string): void {
    if (this.#pos !== this.#end) {
      throw new MlsError(
        "trailing_bytes",
        `${this.#end - this.#pos} unexpected trailing bytes`,
        field,
      );
    }
  }
}
