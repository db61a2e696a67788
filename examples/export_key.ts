/**
 * WebCrypto keys from the MLS exporter (RFC 9420 §8.5): Alice and Bob each
 * derive the same non-extractable AES-GCM key for a shared file and an
 * HMAC key for tagging it; Alice encrypts and tags, Bob verifies and
 * decrypts with his own keys. Neither ever sees the key bytes.
 *
 * Run: `npx deno run examples/export_key.ts`
 */
import { MLS } from "../mod.ts";

/** Runs the example; returns what Bob read, for the test. */
export async function main(log: (line: string) => void = console.log) {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const aliceGroup = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await aliceGroup.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await aliceGroup.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);

  // Alice: encrypt and tag the file with keys of this epoch.
  const file = new TextEncoder().encode("the quarterly report");
  const aliceAes = await aliceGroup.exportKey(
    "file encryption",
    "report.pdf",
    { name: "AES-GCM", length: 256 },
    ["encrypt"],
  );
  const aliceMac = await aliceGroup.exportKey(
    "file tag",
    "report.pdf",
    "HMAC",
    [
      "sign",
    ],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aliceAes, file),
  );
  const tag = await crypto.subtle.sign("HMAC", aliceMac, sealed);
  log(
    `alice sealed ${sealed.length} bytes; key extractable: ${aliceAes.extractable}`,
  );

  // Bob derives his own keys and opens it.
  const bobAes = await bobGroup.exportKey(
    "file encryption",
    "report.pdf",
    { name: "AES-GCM", length: 256 },
    ["decrypt"],
  );
  const bobMac = await bobGroup.exportKey("file tag", "report.pdf", "HMAC", [
    "verify",
  ]);
  const tagOk = await crypto.subtle.verify("HMAC", bobMac, tag, sealed);
  const opened = new TextDecoder().decode(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv }, bobAes, sealed),
  );
  log(`bob: tag ${tagOk ? "valid" : "INVALID"}, reads "${opened}"`);
  return {
    opened,
    tagOk,
    extractable: aliceAes.extractable || bobAes.extractable,
  };
}

if (import.meta.main) await main();
