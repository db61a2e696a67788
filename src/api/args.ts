/**
 * Argument checks at the Web API boundary. JavaScript callers (and
 * TypeScript callers with `any`) can pass anything; every public method
 * checks what it is given with these helpers, so that a wrong type is an
 * `MlsError("invalid_argument")` whose `field` names the argument, never a
 * `TypeError` from deep inside.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { utf8Encode } from "../util/bytes.ts";
import type { Identity, Member } from "./types.ts";

/** A short description of a value for error messages (never its content). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  const t = typeof value;
  if (t === "object") return "an object";
  if (t === "number" && !Number.isFinite(value)) return String(value);
  return t === "undefined" ? "undefined" : `a ${t}`;
}

/** Throws `invalid_argument`: `field` must be `expected`, not `value`. */
export function invalid(
  field: string,
  expected: string,
  value: unknown,
): never {
  throw new MlsError(
    "invalid_argument",
    `${field} must be ${expected}, got ${describe(value)}`,
    field,
  );
}

/** `value` as bytes (a `Uint8Array`). */
export function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(field, "a Uint8Array", value);
  return value;
}

/** `value` as a string. */
export function checkString(value: unknown, field: string): string {
  if (typeof value !== "string") invalid(field, "a string", value);
  return value;
}

/** `value` as a string or bytes. */
export function checkStringOrBytes(
  value: unknown,
  field: string,
): string | Uint8Array {
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    invalid(field, "a string or a Uint8Array", value);
  }
  return value;
}

/** `value` as bytes: given bytes, or a string UTF-8 encoded. */
export function checkTextOrBytes(value: unknown, field: string): Uint8Array {
  const v = checkStringOrBytes(value, field);
  return typeof v === "string" ? utf8Encode(v) : v;
}

/** `value` as a boolean. */
export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") invalid(field, "a boolean", value);
  return value;
}

/** `value` as a function. */
export function checkFunction<T>(value: unknown, field: string): T {
  if (typeof value !== "function") invalid(field, "a function", value);
  return value as T;
}

/** `value` as an integer in `[min, max]`. */
export function checkInteger(
  value: unknown,
  field: string,
  min: number,
  max: number,
): number {
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) ||
    value < min || value > max
  ) {
    invalid(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** `value` as one of `allowed`. */
export function checkOneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) {
    invalid(field, allowed.map((a) => `"${a}"`).join(" or "), value);
  }
  return value as T;
}

/** `value` as an array. */
export function checkArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) invalid(field, "an array", value);
  return value;
}

/** `value` as an object (not null, not an array, not bytes). */
export function checkObject(
  value: unknown,
  field: string,
): Record<string, unknown> {
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    invalid(field, "an object", value);
  }
  return value as Record<string, unknown>;
}

/** An options argument: `undefined` is `{}`, anything else an object. */
export function checkOptions(
  value: unknown,
  field = "options",
): Record<string, unknown> {
  return value === undefined ? {} : checkObject(value, field);
}

/**
 * Runs `f` now and returns its result as a promise: what it throws becomes
 * a rejection, so that a method returning a promise never throws.
 */
export function settle<T>(f: () => T): Promise<T> {
  return new Promise((resolve) => resolve(f()));
}

/** `check(value)` unless `value` is undefined. */
export function optional<T>(
  value: unknown,
  field: string,
  check: (value: unknown, field: string) => T,
): T | undefined {
  return value === undefined ? undefined : check(value, field);
}

/**
 * A client id (lower-case hex) from the ways a client can be named: the
 * id itself, an `Identity` or a `Member`.
 */
export function checkClientId(
  who: string | Identity | Member | { clientId: string },
  field: string,
): string {
  if (typeof who === "string") return who.toLowerCase();
  const id = (who as { clientId?: unknown } | null)?.clientId;
  if (typeof id === "string") return id.toLowerCase();
  return invalid(field, "a client id (hex string), Identity or Member", who);
}

/**
 * One value or a non-empty array of them (`invalid_argument` for an empty
 * one), each with the field that names it: `field`, or `field.i` in an
 * array.
 */
export function oneOrMany<T>(
  value: T | T[],
  field: string,
): { value: T; field: string }[] {
  if (!Array.isArray(value)) return [{ value, field }];
  if (value.length === 0) invalid(field, "non-empty", value);
  return value.map((v, i) => ({ value: v, field: `${field}.${i}` }));
}
