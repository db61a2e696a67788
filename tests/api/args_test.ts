// Argument checks at the API boundary (src/api/args.ts): each wrong value
// is invalid_argument naming the field.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  checkClientId,
  checkTextOrBytes,
  describe,
  oneOrMany,
} from "../../src/api/args.ts";

const invalid = (field: string) => (e: unknown) =>
  e instanceof MlsError && e.code === "invalid_argument" && e.field === field;

Deno.test("oneOrMany: a value, or a non-empty array with indexed fields", () => {
  assert.deepEqual(oneOrMany("a", "x"), [{ value: "a", field: "x" }]);
  assert.deepEqual(oneOrMany(["a", "b"], "x"), [
    { value: "a", field: "x.0" },
    { value: "b", field: "x.1" },
  ]);
  assert.throws(() => oneOrMany([], "x"), invalid("x"));
});

Deno.test("checkClientId: a hex id, Identity or Member, lower-cased", () => {
  assert.equal(checkClientId("AB", "who"), "ab");
  assert.equal(checkClientId({ clientId: "Cd" }, "who"), "cd");
  assert.throws(() => checkClientId(null as never, "who"), invalid("who"));
  assert.throws(() => checkClientId({} as never, "who"), invalid("who"));
});

Deno.test("checkTextOrBytes: strings as UTF-8, bytes as they are", () => {
  assert.deepEqual(checkTextOrBytes("é", "m"), new Uint8Array([0xc3, 0xa9]));
  const b = new Uint8Array([1]);
  assert.equal(checkTextOrBytes(b, "m"), b);
  assert.throws(() => checkTextOrBytes(1, "m"), invalid("m"));
});

Deno.test("describe names a value's kind, never its content", () => {
  assert.equal(describe(new Uint8Array([1])), "bytes");
  assert.equal(describe("secret"), "a string");
  assert.equal(describe(NaN), "NaN");
});
