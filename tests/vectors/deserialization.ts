// deserialization.json: variable-length vector headers (RFC 9420 §2.1.2).
import assert from "node:assert/strict";
import { Reader, Writer } from "../../src/codec/mod.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface DeserializationVector {
  vlbytes_header: string;
  length: number;
}

/** Decodes the header, checks the length, and re-encodes it identically. */
export function check(v: DeserializationVector): Promise<void> {
  const header = fromHex(v.vlbytes_header);
  const r = new Reader(header);
  assert.equal(r.varint("vlbytes_header"), v.length);
  r.end("vlbytes_header");
  const w = new Writer();
  w.varint(v.length);
  assert.equal(toHex(w.finish()), v.vlbytes_header);
  return Promise.resolve();
}
