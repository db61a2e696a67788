/**
 * An HPKE KDF for `@hpke/core`'s `CipherSuite` that wraps one of
 * `@hpke/core`'s own KDFs and remembers the parts of the HPKE key schedule
 * (RFC 9180 §5.1) that do not depend on the KEM's shared secret:
 *
 * - `psk_id_hash = LabeledExtract("", "psk_id_hash", psk_id)`: in base mode
 *   `psk_id` is empty, so the value is the same for every seal and open;
 * - `info_hash = LabeledExtract("", "info_hash", info)` for one `info` fixed
 *   when the KDF is made: MLS seals a commit's path secrets, and a Welcome's
 *   group secrets, to many recipients under one `info` (for a Welcome it holds
 *   the whole encrypted GroupInfo, ratchet tree included, so hashing it once
 *   per recipient would make large adds quadratic);
 * - the HKDF import of `ikm = LabeledIkm("secret", psk)`, which in base mode
 *   (empty `psk`) is a constant that `@hpke/core` imports again for each of
 *   the three secrets it derives per context.
 *
 * Every value is still computed by the wrapped `@hpke/core` KDF, by
 * WebCrypto's HKDF or, with the `kdf: "js"` provider option, by the
 * provider's HKDF part (`@noble/hashes`, `js_kdf.ts`); nothing here
 * implements a primitive. None of the remembered values is secret: they are
 * hashes of public inputs and a key made from constant bytes.
 *
 * A KDF made for single-shot seals and opens only (`sealOnly`) also skips
 * the key schedule's `exporter_secret`: `@hpke/core` derives it for every
 * context, but a single-shot seal or open (RFC 9180 §6.1) discards the
 * context without exporting, so the value is never read. Such a KDF returns
 * zeros for it, and must not serve `Export` (the provider's exporting suite
 * uses a KDF without the flag).
 *
 * @module
 */

import type { KdfInterface } from "@hpke/core";
import type { KdfPart } from "./suite.ts";

type Bytes = ArrayBufferLike | ArrayBufferView;

const enc = new TextEncoder();
const PSK_ID_HASH = enc.encode("psk_id_hash");
const INFO_HASH = enc.encode("info_hash");
const SECRET = enc.encode("secret");
const EXP = enc.encode("exp");
const EMPTY = new Uint8Array(0);

function view(b: Bytes): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) {
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return new Uint8Array(b);
}

/** Byte equality: the same bytes, or 32-bit words compared where aligned. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const n = a.length >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, n);
    const wb = new Uint32Array(b.buffer, b.byteOffset, n);
    for (; i < n; i++) if (wa[i] !== wb[i]) return false;
    i = n << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HASHES: Record<number, string> = {
  0x0001: "SHA-256",
  0x0002: "SHA-384",
  0x0003: "SHA-512",
};

/** Options of {@link KeyScheduleMemoKdf}. */
export interface MemoKdfOptions {
  /**
   * For single-shot seals and opens only: the key schedule's
   * `exporter_secret` is not derived (zeros stand in for it).
   */
  sealOnly?: boolean;
  /**
   * HKDF-Extract and -Expand through this part (of the same hash) instead
   * of the wrapped KDF's WebCrypto calls: the `kdf: "js"` option.
   */
  hkdf?: KdfPart;
}

function buffer(u: Uint8Array): ArrayBuffer {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength
    ? u.buffer as ArrayBuffer
    : u.slice().buffer;
}

/**
 * Values that depend only on the KDF and the suite id: `psk_id_hash` of
 * base mode and the HKDF key of base mode's constant `ikm`. One set per KDF
 * and suite id for the process, so that a KDF made for one batch of seals
 * does not compute them again.
 */
interface SharedValues {
  pskIdHash?: Promise<ArrayBuffer>;
  baseKey?: Promise<CryptoKey>;
}

const SHARED = new Map<string, SharedValues>();

/** A `@hpke/core` KDF that remembers secret-independent key-schedule values. */
export class KeyScheduleMemoKdf implements KdfInterface {
  readonly #inner: KdfInterface;
  readonly #info: Uint8Array | undefined;
  readonly #sealOnly: boolean;
  readonly #hkdf: KdfPart | undefined;
  #infoHash: Promise<ArrayBuffer> | undefined;
  /** Per KDF and suite id, shared by every instance: constants. */
  #shared: SharedValues = {};
  #baseIkm: Uint8Array = EMPTY;

  #suiteIdLength = 0;

  /**
   * @param inner one of `@hpke/core`'s HKDFs (`HkdfSha256`, …)
   * @param info the `info` whose hash to remember, when all seals through
   *   this KDF share one; kept by reference, so the caller must not change
   *   it (passing its exact `ArrayBuffer` to `@hpke/core` lets a seal skip
   *   the byte comparison)
   * @param options see {@link MemoKdfOptions}
   */
  constructor(
    inner: KdfInterface,
    info?: Uint8Array,
    options: MemoKdfOptions = {},
  ) {
    this.#inner = inner;
    this.#info = info;
    this.#sealOnly = options.sealOnly ?? false;
    this.#hkdf = options.hkdf;
    if (this.#hkdf && this.#hkdf.hashLength !== inner.hashSize) {
      throw new RangeError("the HKDF part's hash differs from the KDF's");
    }
  }

  /** The KDF id (RFC 9180 §7.2). */
  get id(): KdfInterface["id"] {
    return this.#inner.id;
  }

  /** `Nh`. */
  get hashSize(): number {
    return this.#inner.hashSize;
  }

  /** Binds the HPKE suite id, as `CipherSuite` does for its KDF. */
  init(suiteId: Uint8Array): void {
    this.#inner.init(suiteId);
    this.#suiteIdLength = suiteId.length;
    const key = `${this.#inner.id}:${suiteId.join(",")}`;
    let shared = SHARED.get(key);
    if (!shared) SHARED.set(key, shared = {});
    this.#shared = shared;
    this.#baseIkm = this.#inner.buildLabeledIkm(SECRET, EMPTY);
  }

  /** `"HPKE-v1" || suite_id || label || ikm`. */
  buildLabeledIkm(label: Uint8Array, ikm: Uint8Array): Uint8Array {
    return this.#inner.buildLabeledIkm(label, ikm);
  }

  /** `I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info`. */
  buildLabeledInfo(label: Uint8Array, info: Uint8Array, len: number) {
    return this.#inner.buildLabeledInfo(label, info, len);
  }

  /** HKDF-Extract (an empty salt stands for `Nh` zeros). */
  extract(salt: Bytes, ikm: Bytes): Promise<ArrayBuffer> {
    if (this.#hkdf) {
      return this.#hkdf.extract(this.#salt(salt), view(ikm)).then(buffer);
    }
    return this.#inner.extract(salt, ikm);
  }

  /** HKDF-Expand. */
  expand(prk: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
    if (this.#hkdf) {
      return this.#hkdf.expand(view(prk), view(info), len).then(buffer);
    }
    return this.#inner.expand(prk, info, len);
  }

  #salt(salt: Bytes): Uint8Array {
    const s = view(salt);
    return s.length === 0 ? new Uint8Array(this.#inner.hashSize) : s;
  }

  /** Whether `info` is the key schedule's `LabeledExpand` info for "exp". */
  #isExporterInfo(info: Uint8Array): boolean {
    // I2OSP(L, 2) || "HPKE-v1" || suite_id || "exp" || key_schedule_context,
    // the context being mode || psk_id_hash || info_hash.
    const at = 2 + 7 + this.#suiteIdLength;
    return info.length === at + EXP.length + 1 + 2 * this.#inner.hashSize &&
      info[at] === EXP[0] && info[at + 1] === EXP[1] &&
      info[at + 2] === EXP[2];
  }

  /** HKDF-Extract then Expand; base mode's constant `ikm` is imported once. */
  extractAndExpand(
    salt: Bytes,
    ikm: Bytes,
    info: Bytes,
    len: number,
  ): Promise<ArrayBuffer> {
    const base = equal(view(ikm), this.#baseIkm);
    if (base && this.#sealOnly && this.#isExporterInfo(view(info))) {
      // A single-shot seal or open never reads its exporter secret.
      return Promise.resolve(new ArrayBuffer(len));
    }
    const hkdf = this.#hkdf;
    if (hkdf) {
      const s = this.#salt(salt);
      return (hkdf.extractExpand
        ? hkdf.extractExpand(s, view(ikm), view(info), len)
        : hkdf.extract(s, view(ikm)).then((prk) =>
          hkdf.expand(prk, view(info), len)
        )).then(buffer);
    }
    const hash = HASHES[this.#inner.id];
    if (!hash || !base) {
      return this.#inner.extractAndExpand(salt, ikm, info, len);
    }
    const shared = this.#shared;
    if (!shared.baseKey) {
      shared.baseKey = crypto.subtle.importKey(
        "raw",
        this.#baseIkm as Uint8Array<ArrayBuffer>,
        "HKDF",
        false,
        ["deriveBits"],
      );
      shared.baseKey.catch(() => shared.baseKey = undefined);
    }
    return shared.baseKey.then((key) =>
      crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash,
          salt: view(salt).slice(),
          info: view(info).slice(),
        },
        key,
        len * 8,
      )
    );
  }

  /** `LabeledExtract`, remembering `psk_id_hash` and `info_hash`. */
  async labeledExtract(
    salt: Bytes,
    label: Uint8Array,
    ikm: Uint8Array,
  ): Promise<ArrayBuffer> {
    if (view(salt).length === 0) {
      if (ikm.length === 0 && equal(label, PSK_ID_HASH)) {
        this.#shared.pskIdHash ??= this.#remember(salt, label, ikm, true);
        return (await this.#shared.pskIdHash).slice(0);
      }
      if (
        this.#info && equal(label, INFO_HASH) && equal(ikm, this.#info)
      ) {
        this.#infoHash ??= this.#remember(salt, label, ikm, false);
        return (await this.#infoHash).slice(0);
      }
    }
    return this.#labeledExtract(salt, label, ikm);
  }

  #labeledExtract(
    salt: Bytes,
    label: Uint8Array,
    ikm: Uint8Array,
  ): Promise<ArrayBuffer> {
    if (this.#hkdf) {
      return this.extract(salt, this.#inner.buildLabeledIkm(label, ikm));
    }
    return this.#inner.labeledExtract(salt, label, ikm);
  }

  /** `LabeledExpand`. */
  labeledExpand(
    prk: Bytes,
    label: Uint8Array,
    info: Uint8Array,
    len: number,
  ): Promise<ArrayBuffer> {
    if (this.#hkdf) {
      return this.expand(
        prk,
        this.#inner.buildLabeledInfo(label, info, len),
        len,
      );
    }
    return this.#inner.labeledExpand(prk, label, info, len);
  }

  /** Computes once; a failure is not remembered. */
  #remember(
    salt: Bytes,
    label: Uint8Array,
    ikm: Uint8Array,
    pskIdHash: boolean,
  ): Promise<ArrayBuffer> {
    const p = this.#labeledExtract(salt, label, ikm);
    p.catch(() => {
      if (pskIdHash) this.#shared.pskIdHash = undefined;
      else this.#infoHash = undefined;
    });
    return p;
  }
}
