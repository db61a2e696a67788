// crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret,
// DeriveTreeSecret, SignWithLabel/VerifyWithLabel and
// EncryptWithLabel/DecryptWithLabel for one cipher suite (RFC 9420 §5, §8).
import assert from "node:assert/strict";
import { type CryptoProvider, defaultProvider } from "../../providers/mod.ts";
import {
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  refHash,
  signWithLabel,
  verifyWithLabel,
} from "../../src/crypto/labeled.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

/** One entry of crypto-basics.json. */
export interface CryptoBasicsVector {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: {
    secret: string;
    label: string;
    context: string;
    length: number;
    out: string;
  };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: {
    secret: string;
    label: string;
    generation: number;
    length: number;
    out: string;
  };
  sign_with_label: {
    priv: string;
    pub: string;
    content: string;
    label: string;
    signature: string;
  };
  encrypt_with_label: {
    priv: string;
    pub: string;
    label: string;
    context: string;
    plaintext: string;
    kem_output: string;
    ciphertext: string;
  };
}

/** Checks one crypto-basics entry with the default provider. */
export function check(v: CryptoBasicsVector): Promise<void> {
  return checkWith(defaultProvider(), v);
}

/** Checks one crypto-basics entry with the given provider. */
export async function checkWith(
  provider: CryptoProvider,
  v: CryptoBasicsVector,
): Promise<void> {
  const cs = await provider.suite(v.cipher_suite);

  const r = v.ref_hash;
  assert.equal(
    toHex(await refHash(cs, r.label, fromHex(r.value))),
    r.out,
    "ref_hash",
  );

  const e = v.expand_with_label;
  assert.equal(
    toHex(
      await expandWithLabel(
        cs,
        fromHex(e.secret),
        e.label,
        fromHex(e.context),
        e.length,
      ),
    ),
    e.out,
    "expand_with_label",
  );

  const d = v.derive_secret;
  assert.equal(
    toHex(await deriveSecret(cs, fromHex(d.secret), d.label)),
    d.out,
    "derive_secret",
  );

  const t = v.derive_tree_secret;
  assert.equal(
    toHex(
      await deriveTreeSecret(
        cs,
        fromHex(t.secret),
        t.label,
        t.generation,
        t.length,
      ),
    ),
    t.out,
    "derive_tree_secret",
  );

  const s = v.sign_with_label;
  const pub = fromHex(s.pub);
  const content = fromHex(s.content);
  assert.ok(
    await verifyWithLabel(cs, pub, s.label, content, fromHex(s.signature)),
    "sign_with_label: given signature",
  );
  const priv = fromHex(s.priv);
  assert.equal(
    toHex(await cs.signaturePublicKey(priv)),
    s.pub,
    "sign_with_label: public key of priv",
  );
  const ours = await signWithLabel(cs, priv, s.label, content);
  assert.ok(
    await verifyWithLabel(cs, pub, s.label, content, ours),
    "sign_with_label: our signature",
  );
  const imported = await cs.signatureImportPrivateKey(priv);
  assert.ok(
    await verifyWithLabel(
      cs,
      pub,
      s.label,
      content,
      await signWithLabel(cs, imported, s.label, content),
    ),
    "sign_with_label: imported key's signature",
  );

  const x = v.encrypt_with_label;
  const hpkePriv = fromHex(x.priv);
  const context = fromHex(x.context);
  assert.equal(
    toHex(
      await decryptWithLabel(
        cs,
        hpkePriv,
        x.label,
        context,
        fromHex(x.kem_output),
        fromHex(x.ciphertext),
      ),
    ),
    x.plaintext,
    "encrypt_with_label: given ciphertext",
  );
  const sealed = await encryptWithLabel(
    cs,
    fromHex(x.pub),
    x.label,
    context,
    fromHex(x.plaintext),
  );
  assert.equal(
    toHex(
      await decryptWithLabel(
        cs,
        hpkePriv,
        x.label,
        context,
        sealed.kemOutput,
        sealed.ciphertext,
      ),
    ),
    x.plaintext,
    "encrypt_with_label: our ciphertext",
  );
  assert.equal(
    toHex(await cs.hpkePublicKey(hpkePriv)),
    x.pub,
    "encrypt_with_label: public key of priv",
  );
}
