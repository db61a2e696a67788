/**
 * Composable encoder/decoder pairs for the TLS presentation language as RFC
 * 9420 §2.1 uses it: fixed-width integers, variable-length vectors,
 * `optional<T>`, enums and structs.
 *
 * @example A struct with a vector field
 * ```ts
 * import { decode, encode, opaque, struct, uint16 } from "./codec.ts";
 * interface Point { tag: number; data: Uint8Array }
 * const point = struct<Point>({ tag: uint16, data: opaque });
 * const bytes = encode(point, { tag: 1, data: new Uint8Array([7]) });
 * const back = decode(point, bytes, "Point");
 * ```
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/**
 * The field name combinators hand to the codecs of their children. Field
 * paths such as `Commit.path.nodes[3].encryption_key` are built only when
 * decoding fails: a child decodes under this placeholder, and the
 * combinator that called it replaces the placeholder at the start of the
 * error's field with the child's real path (see {@link named}). Decoding a
 * large structure thus builds no strings.
 */
const CHILD = "\u0000";

/**
 * Rewrites an error a child decoder threw under {@link CHILD} so that its
 * field starts with `path`; returns anything else unchanged.
 */
function named(e: unknown, path: string): unknown {
  if (e instanceof MlsError && e.field?.startsWith(CHILD)) {
    const old = e.field;
    const field = path + old.slice(1);
    e.field = field;
    const suffix = ` (${old})`;
    e.message = e.message.endsWith(suffix)
      ? `${e.message.slice(0, -suffix.length)} (${field})`
      : e.message;
  }
  return e;
}

/** An encoder and decoder for values of type `T`. */
export interface Codec<T> {
  /** Appends the encoding of `value` to `w`. */
  encode(w: Writer, value: T): void;
  /** Reads one value from `r`; `field` names it in errors. */
  decode(r: Reader, field: string): T;
}

/** Encodes one value into a fresh byte array. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new Writer();
  codec.encode(w, value);
  return w.finish();
}

/**
 * Decodes a whole message: the input must hold exactly one value, with no
 * trailing bytes. Any failure is an {@link MlsError}. The result never
 * aliases `bytes`: the input is copied once, and byte fields are copies
 * (or, for {@link opaqueView} fields, views of that private copy).
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, name: string): T {
  const r = new Reader(bytes.slice());
  const value = codec.decode(r, name);
  r.end(name);
  return value;
}

/**
 * Like {@link decode}, but the byte fields of the result are views of one
 * private copy of `bytes` rather than one copy each: much faster for large
 * structures (a ratchet tree, a stored group state), whose fields then keep
 * that copy alive as long as any of them lives.
 */
export function decodeShared<T>(
  codec: Codec<T>,
  bytes: Uint8Array,
  name: string,
): T {
  const own = bytes.slice();
  const r = new Reader(own, 0, own.length, true);
  const value = codec.decode(r, name);
  r.end(name);
  return value;
}

/** `uint8` */
export const uint8: Codec<number> = {
  encode: (w, v) => w.u8(v),
  decode: (r, f) => r.u8(f),
};

/** `uint16` */
export const uint16: Codec<number> = {
  encode: (w, v) => w.u16(v),
  decode: (r, f) => r.u16(f),
};

/** `uint32` */
export const uint32: Codec<number> = {
  encode: (w, v) => w.u32(v),
  decode: (r, f) => r.u32(f),
};

/** `uint64`, as a bigint so that no value is rounded. */
export const uint64: Codec<bigint> = {
  encode: (w, v) => w.u64(v),
  decode: (r, f) => r.u64(f),
};

/** `opaque data<V>`: a variable-length byte string. */
export const opaque: Codec<Uint8Array> = {
  encode: (w, v) => w.opaque(v),
  decode: (r, f) => r.opaque(f),
};

/**
 * `opaque data<V>` decoded as a view of the input (see `Reader.view`): for
 * transient fields such as ciphertexts, which are read once, never kept in
 * a group state and never modified.
 */
export const opaqueView: Codec<Uint8Array> = {
  encode: (w, v) => w.opaque(v),
  decode: (r, f) => r.opaqueView(f),
};

/** `opaque data[n]`: exactly `n` bytes, no length prefix. */
export function fixed(n: number): Codec<Uint8Array> {
  return {
    encode: (w, v) => {
      if (v.length !== n) {
        throw new MlsError("invalid_value", `expected ${n} bytes`);
      }
      w.bytes(v);
    },
    decode: (r, f) => r.bytes(n, f),
  };
}

/** `T items<V>`: a variable-length vector of `T`. */
export function vector<T>(item: Codec<T>): Codec<T[]> {
  return {
    encode: (w, v) =>
      w.vector(() => {
        for (const x of v) item.encode(w, x);
      }),
    decode: (r, f) => {
      const body = r.vector(f);
      const out: T[] = [];
      try {
        while (body.remaining > 0) out.push(item.decode(body, CHILD));
      } catch (e) {
        throw named(e, `${f}[${out.length}]`);
      }
      return out;
    },
  };
}

/**
 * `optional<T>`: a presence octet (0 or 1) followed by the value when
 * present (RFC 9420 §2.1.1). Any other presence octet is rejected.
 */
export function optional<T>(item: Codec<T>): Codec<T | undefined> {
  return {
    encode: (w, v) => {
      if (v === undefined) w.u8(0);
      else {
        w.u8(1);
        item.encode(w, v);
      }
    },
    decode: (r, f) => {
      const present = r.u8(f);
      if (present === 0) return undefined;
      if (present !== 1) {
        throw new MlsError(
          "invalid_value",
          "optional presence octet not 0/1",
          f,
        );
      }
      return item.decode(r, f);
    },
  };
}

/**
 * An enum carried in `base` (usually uint8 or uint16) that accepts only the
 * listed values; any other value is `unknown_enum`.
 */
export function enumeration<T extends number>(
  base: Codec<number>,
  known: readonly T[],
): Codec<T> {
  const allowed = new Set<number>(known);
  return {
    encode: (w, v) => {
      if (!allowed.has(v)) {
        throw new MlsError("unknown_enum", `cannot encode enum value ${v}`);
      }
      base.encode(w, v);
    },
    decode: (r, f) => {
      const v = base.decode(r, f);
      if (!allowed.has(v)) {
        throw new MlsError("unknown_enum", `unknown value ${v}`, f);
      }
      return v as T;
    },
  };
}

/** The codecs for each field of `T`, in wire order. */
export type Fields<T> = { [K in keyof T]-?: Codec<T[K]> };

/**
 * A struct: fields encoded in the order the `fields` object lists them.
 * Decoding errors name the failing field as `Struct.field`.
 */
export function struct<T extends object>(fields: Fields<T>): Codec<T> {
  const entries = Object.entries(fields) as [
    keyof T & string,
    Codec<unknown>,
  ][];
  return {
    encode: (w, v) => {
      for (const [k, c] of entries) c.encode(w, v[k]);
    },
    decode: (r, f) => {
      const out = {} as Record<string, unknown>;
      let i = 0;
      try {
        for (; i < entries.length; i++) {
          out[entries[i][0]] = entries[i][1].decode(r, CHILD);
        }
      } catch (e) {
        throw named(e, `${f}.${entries[i][0]}`);
      }
      return out as T;
    },
  };
}

/** Maps a codec's values through a pair of conversion functions. */
export function map<A, B>(
  codec: Codec<A>,
  to: (a: A) => B,
  from: (b: B) => A,
): Codec<B> {
  return {
    encode: (w, v) => codec.encode(w, from(v)),
    decode: (r, f) => to(codec.decode(r, f)),
  };
}

/** A codec defined later, for recursive structures. */
export function lazy<T>(get: () => Codec<T>): Codec<T> {
  return {
    encode: (w, v) => get().encode(w, v),
    decode: (r, f) => get().decode(r, f),
  };
}

/** `struct {}`: the empty arm of a `select`; encodes to nothing. */
export const empty: Codec<Record<never, never>> = {
  encode: () => {},
  decode: () => ({}),
};

/**
 * The arm codecs of a {@link variant} over the discriminated union `T`
 * whose discriminant is `T[K]`: for each tag value, the codec of the other
 * fields of the union member carrying that tag.
 */
export type Arms<T, K extends keyof T> = {
  readonly [V in T[K] & number]: Codec<
    Omit<Extract<T, { readonly [P in K]: V }>, K>
  >;
};

/**
 * A tagged union as RFC 9420 writes it: a tag followed by
 * `select (tag) { case a: ...; case b: ...; }`.
 *
 * The value is one flat object: `value[key]` holds the tag, and the fields of
 * the selected arm sit beside it (the arm codec, usually a {@link struct},
 * encodes the fields it knows from the whole value). A tag with no arm is
 * `unknown_enum`, on decode and on encode.
 *
 * @example
 * ```ts
 * import { empty, opaque, struct, uint8, variant } from "./codec.ts";
 * type Msg = { kind: 1; data: Uint8Array } | { kind: 2 };
 * const msg = variant<Msg, "kind">("kind", uint8, {
 *   1: struct({ data: opaque }),
 *   2: empty,
 * });
 * ```
 *
 * @param key the discriminant field, named after the RFC selector
 * @param tag the codec of the discriminant (e.g. `uint8`, `uint16`)
 * @param arms the codec of the remaining fields, per tag value
 */
export function variant<T extends object, K extends keyof T & string>(
  key: K,
  tag: Codec<number>,
  arms: Arms<T, K>,
): Codec<T> {
  const table = new Map<number, Codec<object>>();
  for (const [k, c] of Object.entries(arms)) {
    table.set(Number(k), c as Codec<object>);
  }
  return {
    encode: (w, v) => {
      const t = v[key] as number;
      const arm = table.get(t);
      if (!arm) {
        throw new MlsError("unknown_enum", `cannot encode ${key} ${t}`, key);
      }
      tag.encode(w, t);
      arm.encode(w, v);
    },
    decode: (r, f) => {
      let t: number;
      try {
        t = tag.decode(r, CHILD);
      } catch (e) {
        throw named(e, `${f}.${key}`);
      }
      const arm = table.get(t);
      if (!arm) {
        throw new MlsError("unknown_enum", `unknown value ${t}`, `${f}.${key}`);
      }
      return { [key]: t, ...arm.decode(r, f) } as T;
    },
  };
}

/**
 * Concatenates codecs of disjoint parts of one object, for RFC structs whose
 * `select` sits between other fields: each part encodes the fields it knows
 * from the whole value, and the decoded parts are merged into one object.
 *
 * @param a the first part on the wire
 * @param b the second part
 * @param c an optional third part
 */
export function merge<
  A extends object,
  B extends object,
  C extends object = Record<never, never>,
>(a: Codec<A>, b: Codec<B>, c?: Codec<C>): Codec<A & B & C> {
  return {
    encode: (w, v) => {
      a.encode(w, v);
      b.encode(w, v);
      c?.encode(w, v);
    },
    decode: (r, f) => {
      const out = { ...a.decode(r, f), ...b.decode(r, f) };
      return (c ? { ...out, ...c.decode(r, f) } : out) as A & B & C;
    },
  };
}

/**
 * A value implied by context rather than carried on the wire: encodes
 * nothing and decodes to `value`. Used, for instance, for a `select` whose
 * selector lives in an enclosing structure (a {@link variant} with
 * `constant(tag)` as its tag codec).
 */
export function constant<T>(value: T): Codec<T> {
  return {
    encode: () => {},
    decode: () => value,
  };
}
