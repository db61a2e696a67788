/**
 * The options of `MLS.generateKeyPackage`: what the KeyPackage advertises
 * (capabilities), how long it is valid (lifetime), and its extensions,
 * checked against the rules of RFC 9420 §7.2 and §10 before anything is
 * signed.
 *
 * @module
 */

import type { KeyPackageOptions } from "../group/key_package.ts";
import { defaultCapabilities, nowSeconds } from "../group/key_package.ts";
import type { Capabilities } from "../messages/capabilities.ts";
import type { Credential } from "../messages/credential.ts";
import { type Extension, ExtensionType } from "../messages/extension.ts";
import type { Lifetime } from "../messages/lifetime.ts";
import { ProposalType } from "../messages/proposal.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type { ExtensionInput } from "./types.ts";
import {
  checkArray,
  checkBoolean,
  checkBytes,
  checkInteger,
  checkObject,
  checkOptions,
  invalid,
  optional,
} from "./args.ts";

export type { ExtensionInput } from "./types.ts";

/**
 * Capabilities a KeyPackage advertises (RFC 9420 §7.2). Each list given
 * replaces the default one; a list left out keeps its default: MLS 1.0,
 * the identity's cipher suite, basic and X.509 credentials, the
 * `last_resort` extension and webmls's key export consumer list (0xF0E5)
 * plus the types of the package's own extensions,
 * no proposal types. Default proposal types (1 to 7) and extension types
 * (1 to 5) are never listed (§7.2).
 */
export interface KeyPackageCapabilities {
  /** Protocol versions (must include mls10, 1). */
  readonly versions?: readonly number[];
  /** Cipher suites (must include the identity's). */
  readonly cipherSuites?: readonly number[];
  /** Non-default extension types (must include every extension's type). */
  readonly extensions?: readonly number[];
  /** Non-default proposal types. */
  readonly proposals?: readonly number[];
  /** Credential types (must include the credential's: basic 1, X.509 2). */
  readonly credentials?: readonly number[];
}

/**
 * How long a KeyPackage is valid (its leaf's `lifetime`, RFC 9420 §7.2):
 * from `notBefore` to `notAfter`, or for `seconds` from now (valid from an
 * hour ago, for clocks that lag, like the default of 90 days).
 */
export type KeyPackageLifetime =
  | { readonly notBefore: Date; readonly notAfter: Date }
  | { readonly seconds: number };

/** Options of `MLS.generateKeyPackage`; all optional. */
export interface GenerateKeyPackageOptions {
  /**
   * A last-resort package (the `last_resort` extension): kept after use,
   * for a delivery service to hand out when no other package is left.
   */
  readonly lastResort?: boolean;
  /** What the package advertises; see {@link KeyPackageCapabilities}. */
  readonly capabilities?: KeyPackageCapabilities;
  /** Validity; 90 days by default. */
  readonly lifetime?: KeyPackageLifetime;
  /** KeyPackage extensions (one per type). */
  readonly extensions?: readonly ExtensionInput[];
  /** Extensions of the package's LeafNode (one per type). */
  readonly leafExtensions?: readonly ExtensionInput[];
}

const DEFAULT_EXTENSIONS: readonly number[] = [
  ExtensionType.applicationId,
  ExtensionType.ratchetTree,
  ExtensionType.requiredCapabilities,
  ExtensionType.externalPub,
  ExtensionType.externalSenders,
];
const DEFAULT_PROPOSALS: readonly number[] = Object.values(ProposalType);
const UINT64_SECONDS_MAX = Number.MAX_SAFE_INTEGER;

function checkExtensions(value: unknown, field: string): Extension[] {
  const seen = new Set<number>();
  return checkArray(value, field).map((e, i) => {
    const f = `${field}.${i}`;
    const o = checkObject(e, f);
    const extensionType = checkInteger(
      o.extensionType,
      `${f}.extensionType`,
      0,
      0xffff,
    );
    // §13.4: at most one extension of each type.
    if (seen.has(extensionType)) {
      invalid(`${f}.extensionType`, "a type not already listed", extensionType);
    }
    seen.add(extensionType);
    return {
      extensionType,
      extensionData: checkBytes(o.extensionData, `${f}.extensionData`),
    };
  });
}

function uint16List(value: unknown, field: string): number[] {
  return checkArray(value, field).map((v, i) =>
    checkInteger(v, `${field}.${i}`, 0, 0xffff)
  );
}

function seconds(d: unknown, field: string): bigint {
  if (!(d instanceof Date) || !Number.isFinite(d.getTime())) {
    invalid(field, "a valid Date", d);
  }
  const s = Math.floor(d.getTime() / 1000);
  if (s < 0) invalid(field, "a Date after 1970", d);
  return BigInt(s);
}

function checkLifetime(value: unknown, field: string): Lifetime {
  const o = checkObject(value, field);
  if ("seconds" in o) {
    const n = checkInteger(
      o.seconds,
      `${field}.seconds`,
      1,
      UINT64_SECONDS_MAX,
    );
    const now = nowSeconds();
    return { notBefore: now - 3600n, notAfter: now + BigInt(n) };
  }
  const notBefore = seconds(o.notBefore, `${field}.notBefore`);
  const notAfter = seconds(o.notAfter, `${field}.notAfter`);
  if (notAfter < notBefore) {
    invalid(`${field}.notAfter`, "no earlier than notBefore", o.notAfter);
  }
  return { notBefore, notAfter };
}

/** Requires `list` to hold `value` (what the package itself uses). */
function mustList(list: number[], value: number, field: string, what: string) {
  if (!list.includes(value)) {
    invalid(field, `a list that includes ${value} (${what})`, list);
  }
}

/** Requires `list` to hold none of `defaults` (§7.2). */
function mustNotList(list: number[], defaults: readonly number[], f: string) {
  const bad = list.find((v) => defaults.includes(v));
  if (bad !== undefined) {
    invalid(
      f,
      `a list without default types (RFC 9420 §7.2: ${bad} is never listed)`,
      list,
    );
  }
}

function checkCapabilities(
  value: unknown,
  field: string,
  cipherSuite: number,
  credential: Credential,
  extensionTypes: number[],
): Capabilities {
  const o = checkOptions(value, field);
  const f = (k: string) => `${field}.${k}`;
  const base = defaultCapabilities(cipherSuite);
  const caps: Capabilities = {
    versions: optional(o.versions, f("versions"), uint16List) ?? base.versions,
    cipherSuites: optional(o.cipherSuites, f("cipherSuites"), uint16List) ??
      base.cipherSuites,
    extensions: optional(o.extensions, f("extensions"), uint16List) ??
      [...new Set([...base.extensions, ...extensionTypes])],
    proposals: optional(o.proposals, f("proposals"), uint16List) ??
      base.proposals,
    credentials: optional(o.credentials, f("credentials"), uint16List) ??
      base.credentials,
  };
  mustList(caps.versions, ProtocolVersion.mls10, f("versions"), "mls10");
  mustList(caps.cipherSuites, cipherSuite, f("cipherSuites"), "the suite");
  // §7.2: the credential type in use must be listed.
  mustList(
    caps.credentials,
    credential.credentialType,
    f("credentials"),
    "the credential's type",
  );
  mustNotList(caps.extensions, DEFAULT_EXTENSIONS, f("extensions"));
  mustNotList(caps.proposals, DEFAULT_PROPOSALS, f("proposals"));
  // §10: the package's and its leaf's extensions must be listed.
  for (const t of extensionTypes) {
    mustList(caps.extensions, t, f("extensions"), "an extension's type");
  }
  return caps;
}

/**
 * Checks the options of `generateKeyPackage` (`field` names the argument)
 * and turns them into the group layer's, for a package of `cipherSuite`
 * with `credential`.
 */
export function keyPackageOptions(
  value: unknown,
  field: string,
  cipherSuite: number,
  credential: Credential,
): KeyPackageOptions {
  const o = checkOptions(value, field);
  const f = (k: string) => `${field}.${k}`;
  const lastResort = optional(o.lastResort, f("lastResort"), checkBoolean);
  const extensions = optional(o.extensions, f("extensions"), checkExtensions);
  const leafExtensions = optional(
    o.leafExtensions,
    f("leafExtensions"),
    checkExtensions,
  );
  if (
    lastResort &&
    extensions?.some((e) => e.extensionType === ExtensionType.lastResort)
  ) {
    invalid(
      f("extensions"),
      "without last_resort when lastResort is set (one per type)",
      o.extensions,
    );
  }
  const types = [
    ...(lastResort ? [ExtensionType.lastResort] : []),
    ...[...extensions ?? [], ...leafExtensions ?? []]
      .map((e) => e.extensionType)
      .filter((t) => !DEFAULT_EXTENSIONS.includes(t)),
  ];
  return {
    lastResort,
    extensions,
    leafExtensions,
    lifetime: optional(o.lifetime, f("lifetime"), checkLifetime),
    capabilities: checkCapabilities(
      o.capabilities,
      f("capabilities"),
      cipherSuite,
      credential,
      [...new Set(types)],
    ),
  };
}
