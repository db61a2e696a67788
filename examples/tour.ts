/**
 * A short tour of what webmls has so far: for every cipher suite, generate a
 * signed KeyPackage, wrap it in an MLSMessage, decode it back and validate
 * it, as a group member would before adding its owner.
 *
 * Run: `npx deno task start`
 */
import { decode, encode } from "../src/codec/codec.ts";
import { CIPHER_SUITES, defaultProvider } from "../mod.ts";
import {
  generateKeyPackage,
  keyPackageRef,
  validateKeyPackage,
} from "../src/group/key_package.ts";
import { mlsMessageCodec } from "../src/framing/mls_message.ts";
import { WireFormat } from "../src/framing/wire_format.ts";
import { toHex } from "../src/util/bytes.ts";

const provider = defaultProvider();
for (const id of provider.supportedSuites) {
  const cs = await provider.suite(id);
  const signer = await cs.signatureGenerateKeyPair();
  const { keyPackage } = await generateKeyPackage(cs, {
    credentialType: 1,
    identity: new TextEncoder().encode("alice"),
  }, signer);
  const bytes = encode(mlsMessageCodec, {
    version: 1,
    wireFormat: WireFormat.mlsKeyPackage,
    keyPackage,
  });
  const msg = decode(mlsMessageCodec, bytes, "MLSMessage");
  if (msg.wireFormat !== WireFormat.mlsKeyPackage) {
    throw new Error("unexpected");
  }
  await validateKeyPackage(cs, msg.keyPackage, { now: new Date() });
  const ref = await keyPackageRef(cs, msg.keyPackage);
  console.log(
    `${CIPHER_SUITES[id].name}: key package ${bytes.length} bytes, ` +
      `ref ${toHex(ref).slice(0, 16)}…, valid`,
  );
}
