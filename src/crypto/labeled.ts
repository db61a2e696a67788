/**
 * Labeled cryptographic operations (RFC 9420 §5.1–5.2, §8). Every label is
 * prefixed with "MLS 1.0 " and bound to its context by a TLS-encoded struct,
 * so a value derived for one purpose can never be reused for another.
 *
 * @module
 */

import { Writer } from "../codec/writer.ts";
import type {
  HpkeRecipient,
  HpkeSealed,
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { utf8Encode } from "../util/bytes.ts";

const PREFIX = "MLS 1.0 ";
const EMPTY = new Uint8Array(0);

/** `struct { opaque label<V>; opaque content<V>; }` with the MLS prefix. */
function labeled(label: string, content: Uint8Array): Uint8Array {
  const l = utf8Encode(PREFIX + label);
  const w = new Writer(l.length + content.length + 8);
  w.opaque(l);
  w.opaque(content);
  return w.finish();
}

/**
 * `RefHash(label, value) = Hash(struct { label<V>; value<V> })` (§5.2). The
 * label is used as given: callers pass e.g. "MLS 1.0 KeyPackage Reference".
 */
export function refHash(
  cs: SuiteCrypto,
  label: string,
  value: Uint8Array,
): Promise<Uint8Array> {
  const l = utf8Encode(label);
  const w = new Writer(l.length + value.length + 8);
  w.opaque(l);
  w.opaque(value);
  return cs.hash(w.finish());
}

/**
 * `KDFLabel` (§8): `struct { uint16 length; opaque label<V>; opaque
 * context<V>; }` with the MLS prefix on the label, the `info` of
 * ExpandWithLabel.
 */
export function kdfLabel(
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const l = utf8Encode(PREFIX + label);
  const w = new Writer(l.length + context.length + 10);
  w.u16(length);
  w.opaque(l);
  w.opaque(context);
  return w.finish();
}

/** `ExpandWithLabel(secret, label, context, length)` (§8). */
export function expandWithLabel(
  cs: SuiteCrypto,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return cs.kdfExpand(secret, kdfLabel(label, context, length), length);
}

/** `DeriveSecret(secret, label) = ExpandWithLabel(secret, label, "", Nh)`. */
export function deriveSecret(
  cs: SuiteCrypto,
  secret: Uint8Array,
  label: string,
): Promise<Uint8Array> {
  return expandWithLabel(cs, secret, label, EMPTY, cs.hashLength);
}

/** `DeriveTreeSecret(secret, label, generation, length)` (§9). */
export function deriveTreeSecret(
  cs: SuiteCrypto,
  secret: Uint8Array,
  label: string,
  generation: number,
  length: number,
): Promise<Uint8Array> {
  const g = new Uint8Array(4);
  new DataView(g.buffer).setUint32(0, generation);
  return expandWithLabel(cs, secret, label, g, length);
}

/**
 * Headroom for a {@link Writer} whose output is signed or verified with
 * {@link signWithLabelIn} / {@link verifyWithLabelIn}: the longest
 * `SignContent` header of the labels MLS uses.
 */
export const LABEL_HEADROOM = 48;

/** `opaque label<V>` with the MLS prefix, then the content's length. */
function signContentHeader(label: string, contentLength: number): Uint8Array {
  const l = utf8Encode(PREFIX + label);
  const w = new Writer(l.length + 8);
  w.opaque(l);
  w.varint(contentLength);
  return w.finish();
}

/** `SignContent` for the output of `w`, in place when it has headroom. */
function signContentIn(label: string, w: Writer): Uint8Array {
  return w.withHeader(signContentHeader(label, w.length)) ??
    labeled(label, w.finish());
}

/**
 * `SignWithLabel(key, label, content)` where content is the output of `w`:
 * no copy of the content when `w` was made with {@link LABEL_HEADROOM}.
 */
export function signWithLabelIn(
  cs: SuiteCrypto,
  key: SignaturePrivateKey,
  label: string,
  w: Writer,
): Promise<Uint8Array> {
  return cs.sign(key, signContentIn(label, w));
}

/** `VerifyWithLabel` over the output of `w`; see {@link signWithLabelIn}. */
export function verifyWithLabelIn(
  cs: SuiteCrypto,
  publicKey: Uint8Array,
  label: string,
  w: Writer,
  signature: Uint8Array,
): Promise<boolean> {
  return cs.verify(publicKey, signContentIn(label, w), signature);
}

/** `SignWithLabel(key, label, content)` (§5.1.2). */
export function signWithLabel(
  cs: SuiteCrypto,
  key: SignaturePrivateKey,
  label: string,
  content: Uint8Array,
): Promise<Uint8Array> {
  return cs.sign(key, labeled(label, content));
}

/** `VerifyWithLabel(key, label, content, signature)` (§5.1.2). */
export function verifyWithLabel(
  cs: SuiteCrypto,
  publicKey: Uint8Array,
  label: string,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return cs.verify(publicKey, labeled(label, content), signature);
}

/** `EncryptWithLabel(pub, label, context, plaintext)` (§5.1.3). */
export function encryptWithLabel(
  cs: SuiteCrypto,
  publicKey: Uint8Array,
  label: string,
  context: Uint8Array,
  plaintext: Uint8Array,
): Promise<HpkeSealed> {
  return cs.hpkeSeal(publicKey, labeled(label, context), EMPTY, plaintext);
}

/**
 * `EncryptWithLabel` of several plaintexts to several public keys under one
 * label and context (an UpdatePath's secrets, a Welcome's GroupSecrets):
 * the results of {@link encryptWithLabel} for each, in order, with the
 * `EncryptContext` built and hashed once.
 */
export function encryptWithLabelMany(
  cs: SuiteCrypto,
  recipients: readonly HpkeRecipient[],
  label: string,
  context: Uint8Array,
): Promise<HpkeSealed[]> {
  const info = labeled(label, context);
  if (cs.hpkeSealMany) return cs.hpkeSealMany(recipients, info, EMPTY);
  return Promise.all(
    recipients.map((r) => cs.hpkeSeal(r.publicKey, info, EMPTY, r.plaintext)),
  );
}

/**
 * `DecryptWithLabel(priv, label, context, kem_output, ciphertext)`;
 * `publicKey`, the key pair's public half, saves the provider computing it.
 */
export function decryptWithLabel(
  cs: SuiteCrypto,
  privateKey: Uint8Array,
  label: string,
  context: Uint8Array,
  kemOutput: Uint8Array,
  ciphertext: Uint8Array,
  publicKey?: Uint8Array,
): Promise<Uint8Array> {
  return cs.hpkeOpen(
    privateKey,
    kemOutput,
    labeled(label, context),
    EMPTY,
    ciphertext,
    publicKey,
  );
}
