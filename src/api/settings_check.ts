/**
 * Checks of the settings the Web API is configured with (the `MLS`
 * constructor's options, per-group `config` options), so that a bad
 * setting fails where it is given rather than at first use.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { GroupConfig } from "../group/config.ts";
import type { PaddingPolicy } from "../framing/private_content.ts";
import type { CryptoProvider } from "../../providers/provider.ts";
import { isSuiteName } from "../crypto/pq_suites.ts";
import {
  checkArray,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkObject,
  checkOneOf,
  invalid,
  optional,
} from "./args.ts";
import type { Storage } from "./storage/storage.ts";

const UINT32_MAX = 0xffffffff;

/** The handshake wire formats a view can use. */
export const HANDSHAKE_WIRE_FORMATS: readonly GroupConfig[
  "handshakeWireFormat"
][] = ["private", "public"];

/** `value` as a {@link Storage}: an object with `get`, `batch` and `list`. */
export function checkStorage(value: unknown, field: string): Storage {
  const o = checkObject(value, field);
  for (const m of ["get", "batch", "list"]) {
    checkFunction(o[m], `${field}.${m}`);
  }
  return value as Storage;
}

/** `value` as a {@link CryptoProvider}: `suite()` and `supportedSuites`. */
export function checkProvider(value: unknown, field: string): CryptoProvider {
  const o = checkObject(value, field);
  checkFunction(o.suite, `${field}.suite`);
  checkArray(o.supportedSuites, `${field}.supportedSuites`);
  return value as CryptoProvider;
}

/**
 * `value` as a cipher suite id (a uint16, RFC 9420 §17.1) that `provider`
 * serves: `unsupported_cipher_suite` for one it does not. A suite's
 * registry name stands for its code point in the provider's numbering.
 */
export function checkCipherSuite(
  value: unknown,
  field: string,
  provider: CryptoProvider,
): number {
  if (typeof value === "string" && isSuiteName(value)) {
    const named = provider.suiteNames?.[value];
    if (named === undefined) {
      throw new MlsError(
        "unsupported_cipher_suite",
        `cipher suite ${value} is not supported by this provider`,
        field,
      );
    }
    value = named;
  }
  const id = checkInteger(value, field, 0, 0xffff);
  if (!provider.supportedSuites.includes(id)) {
    throw new MlsError(
      "unsupported_cipher_suite",
      `cipher suite ${id} is not supported (supported: ${
        provider.supportedSuites.join(", ")
      })`,
      field,
    );
  }
  return id;
}

/** `value` as a handshake wire format, `"private"` or `"public"`. */
export function checkHandshakeWireFormat(
  value: unknown,
  field: string,
): GroupConfig["handshakeWireFormat"] {
  return checkOneOf(value, field, HANDSHAKE_WIRE_FORMATS);
}

function checkPadding(value: unknown, field: string): PaddingPolicy {
  const o = checkObject(value, field);
  if ("length" in o) {
    return { length: checkInteger(o.length, `${field}.length`, 0, UINT32_MAX) };
  }
  if ("blockSize" in o) {
    return {
      blockSize: checkInteger(o.blockSize, `${field}.blockSize`, 1, UINT32_MAX),
    };
  }
  return invalid(field, "{ length } or { blockSize }", value);
}

const limit = (v: unknown, f: string) => checkInteger(v, f, 0, UINT32_MAX);

/**
 * `value` as a partial {@link GroupConfig}: every field given has the
 * right type and range (limits are stored as uint32). Fields set to
 * `undefined` are left out, so they keep their defaults.
 */
export function checkGroupConfig(
  value: unknown,
  field: string,
): Partial<GroupConfig> {
  const o = checkObject(value, field);
  const out: Partial<GroupConfig> = {};
  const f = (k: string) => `${field}.${k}`;
  const set = <K extends keyof GroupConfig>(
    k: K,
    v: GroupConfig[K] | undefined,
  ) => {
    if (v !== undefined) out[k] = v;
  };
  set(
    "handshakeWireFormat",
    optional(
      o.handshakeWireFormat,
      f("handshakeWireFormat"),
      checkHandshakeWireFormat,
    ),
  );
  // An explicit `padding: undefined` turns padding off (over a default).
  if ("padding" in o) {
    out.padding = optional(o.padding, f("padding"), checkPadding);
  }
  for (
    const k of [
      "maxPastEpochs",
      "maxForwardGeneration",
      "maxSkippedKeys",
      "maxResumptionPsks",
    ] as const
  ) {
    set(k, optional(o[k], f(k), limit));
  }
  for (const k of ["ratchetTreeExtension", "externalPub"] as const) {
    set(k, optional(o[k], f(k), checkBoolean));
  }
  return out;
}
