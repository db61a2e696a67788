/**
 * KeyPackages (RFC 9420 §10): generation with their private parts kept
 * apart, validation of received ones (§10.1), and references (§5.2).
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { refHash, signWithLabel, verifyWithLabel } from "../crypto/labeled.ts";
import type { Capabilities } from "../messages/capabilities.ts";
import type { Credential } from "../messages/credential.ts";
import { supportsExtensionType } from "../messages/capabilities.ts";
import {
  checkUniqueExtensions,
  type Extension,
  ExtensionType,
} from "../messages/extension.ts";
import {
  type KeyPackage,
  keyPackageCodec,
  keyPackageTBSCodec,
} from "../messages/key_package.ts";
import { type LeafNode, LeafNodeSource } from "../messages/leaf_node.ts";
import {
  signLeafNode,
  verifyLeafNodeSignature,
} from "../tree/leaf_signature.ts";
import type { Lifetime } from "../messages/lifetime.ts";
import { EXPORT_CONSUMERS_EXTENSION } from "../messages/export_consumers.ts";
import { checkLeafContents, checkLeafSource } from "../tree/validation.ts";
import { rule } from "../util/rule.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { bytesEqual } from "../util/bytes.ts";

/** The secrets that belong to a KeyPackage; never sent anywhere. */
export interface KeyPackagePrivate {
  /** HPKE private key of `init_key` (used once, to open the Welcome). */
  initPrivateKey: Uint8Array;
  /** HPKE private key of the leaf's `encryption_key`. */
  encryptionPrivateKey: Uint8Array;
}

/** Options for {@link generateKeyPackage}. */
export interface KeyPackageOptions {
  /** Capabilities; defaults to {@link defaultCapabilities}. */
  capabilities?: Capabilities;
  /** Validity; defaults to now - 1 h .. now + 90 days. */
  lifetime?: Lifetime;
  /** KeyPackage extensions. */
  extensions?: Extension[];
  /** LeafNode extensions. */
  leafExtensions?: Extension[];
  /**
   * Marks the package "last resort" (the `last_resort` extension of the
   * MLS extensions registry): a delivery service hands it out when no other
   * package is left, and it may be used more than once.
   */
  lastResort?: boolean;
}

/** A freshly generated KeyPackage with its private parts. */
export interface GeneratedKeyPackage {
  /** The public, signed KeyPackage. */
  keyPackage: KeyPackage;
  /** The private keys to keep until the package is used. */
  privateKeys: KeyPackagePrivate;
}

/** Seconds since the Unix epoch, as the `Lifetime` fields count. */
export function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/**
 * Capabilities that advertise MLS 1.0, the given suite, both credential
 * types and the non-default extensions webmls understands — `last_resort`
 * and its key export consumer list (§7.2: default extension and proposal
 * types are not listed).
 */
export function defaultCapabilities(cipherSuite: number): Capabilities {
  return {
    versions: [ProtocolVersion.mls10],
    cipherSuites: [cipherSuite],
    extensions: [ExtensionType.lastResort, EXPORT_CONSUMERS_EXTENSION],
    proposals: [],
    credentials: [1, 2],
  };
}

/** A fresh leaf node and the private half of its encryption key. */
export interface GeneratedLeafNode {
  /** The signed leaf node (source `key_package`). */
  leafNode: LeafNode;
  /** HPKE private key of the leaf's `encryption_key`. */
  encryptionPrivateKey: Uint8Array;
}

/**
 * Generates the leaf node of a key package (§10), with a fresh encryption
 * key: also the leaf of a group's creator (§11), who needs no init key.
 */
export async function generateLeafNode(
  cs: SuiteCrypto,
  credential: Credential,
  signer: SignatureKeyPair,
  options: KeyPackageOptions = {},
): Promise<GeneratedLeafNode> {
  const enc = await cs.hpkeGenerateKeyPair();
  const now = nowSeconds();
  const lifetime = options.lifetime ?? {
    notBefore: now - 3600n,
    notAfter: now + 90n * 86400n,
  };
  const leafNode = await signLeafNode(cs, signer.privateKey, {
    encryptionKey: enc.publicKey,
    signatureKey: signer.publicKey,
    credential,
    capabilities: options.capabilities ?? defaultCapabilities(cs.id),
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime,
    extensions: options.leafExtensions ?? [],
  });
  return { leafNode, encryptionPrivateKey: enc.privateKey };
}

/**
 * Generates a KeyPackage (§10) for `credential` signed by `signer`. The
 * init and leaf encryption keys are fresh and distinct.
 */
export async function generateKeyPackage(
  cs: SuiteCrypto,
  credential: Credential,
  signer: SignatureKeyPair,
  options: KeyPackageOptions = {},
): Promise<GeneratedKeyPackage> {
  const [init, leaf] = await Promise.all([
    cs.hpkeGenerateKeyPair(),
    generateLeafNode(cs, credential, signer, options),
  ]);
  const extensions = [...(options.extensions ?? [])];
  if (options.lastResort) {
    extensions.push({
      extensionType: ExtensionType.lastResort,
      extensionData: new Uint8Array(0),
    });
  }
  const tbs = {
    version: ProtocolVersion.mls10,
    cipherSuite: cs.id,
    initKey: init.publicKey,
    leafNode: leaf.leafNode,
    extensions,
  };
  const signature = await signWithLabel(
    cs,
    signer.privateKey,
    "KeyPackageTBS",
    encode(keyPackageTBSCodec, tbs),
  );
  return {
    keyPackage: { ...tbs, signature },
    privateKeys: {
      initPrivateKey: init.privateKey,
      encryptionPrivateKey: leaf.encryptionPrivateKey,
    },
  };
}

/** `KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)`. */
export function keyPackageRef(
  cs: SuiteCrypto,
  keyPackage: KeyPackage | Uint8Array,
): Promise<Uint8Array> {
  const bytes = keyPackage instanceof Uint8Array
    ? keyPackage
    : encode(keyPackageCodec, keyPackage);
  return refHash(cs, "MLS 1.0 KeyPackage Reference", bytes);
}

/** Whether a KeyPackage carries the `last_resort` extension. */
export function isLastResort(keyPackage: KeyPackage): boolean {
  return keyPackage.extensions.some((e) =>
    e.extensionType === ExtensionType.lastResort
  );
}

/** Options for {@link validateKeyPackage}. */
export interface KeyPackageValidationOptions {
  /** Current time; the lifetime must contain it when given (§7.3). */
  now?: Date;
  /**
   * Longest acceptable total lifetime in seconds (§7.2); unchecked when
   * absent.
   */
  maxLifetime?: number;
}

/**
 * Validates a received KeyPackage (§10.1) on its own: version, suite,
 * the leaf valid for a KeyPackage (§7.3: source, contents, lifetime),
 * extensions listed and not repeated (§10, §13.4), init key distinct from
 * the encryption key, and both signatures. Checks that need the group
 * (its suite and version, capabilities against members, uniqueness) are
 * the group's.
 */
export async function validateKeyPackage(
  cs: SuiteCrypto,
  kp: KeyPackage,
  options: KeyPackageValidationOptions = {},
): Promise<void> {
  const f = "KeyPackage";
  rule(
    "§10.1",
    "unsupported_version",
    kp.version === ProtocolVersion.mls10,
    "not MLS 1.0",
    `${f}.version`,
  );
  rule(
    "§10.1",
    "cipher_suite_mismatch",
    kp.cipherSuite === cs.id,
    `key package is for suite ${kp.cipherSuite}, not ${cs.id}`,
    `${f}.cipherSuite`,
  );
  const leaf = kp.leafNode;
  checkLeafSource(leaf, LeafNodeSource.keyPackage, `${f}.leafNode`);
  rule(
    "§10.1",
    "init_key_reused",
    !bytesEqual(kp.initKey, leaf.encryptionKey),
    "init_key equals the leaf encryption_key",
    `${f}.initKey`,
  );
  rule(
    "§10",
    "unsupported_capabilities",
    leaf.capabilities.versions.includes(ProtocolVersion.mls10) &&
      leaf.capabilities.cipherSuites.includes(cs.id),
    "leaf capabilities lack the key package's version or suite",
    `${f}.leafNode.capabilities`,
  );
  checkLeafContents(leaf, `${f}.leafNode`, options);
  for (const e of kp.extensions) {
    rule(
      "§10",
      "unsupported_extension",
      supportsExtensionType(leaf.capabilities, e.extensionType),
      `key package extension ${e.extensionType} not in the capabilities`,
      `${f}.extensions`,
    );
  }
  checkUniqueExtensions(kp.extensions, `${f}.extensions`);
  const [leafOk, kpOk] = await Promise.all([
    verifyLeafNodeSignature(cs, leaf),
    verifyWithLabel(
      cs,
      leaf.signatureKey,
      "KeyPackageTBS",
      encode(keyPackageTBSCodec, kp),
      kp.signature,
    ),
  ]);
  rule(
    "§7.3",
    "invalid_signature",
    leafOk,
    "leaf node signature does not verify",
    `${f}.leafNode.signature`,
  );
  rule(
    "§10.1",
    "invalid_signature",
    kpOk,
    "key package signature does not verify",
    `${f}.signature`,
  );
}
