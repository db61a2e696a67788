// The `kdf: "js"` provider option (the default on Deno): @noble/hashes for
// small inputs must give exactly what WebCrypto gives, and members using
// either provider must interoperate in one group.
import assert from "node:assert/strict";
import { createProvider } from "../../providers/mod.ts";
import { JS_KDF_LIMIT, JsKdf } from "../../providers/js_kdf.ts";
import { WebKdf } from "../../providers/webcrypto.ts";
import { createCommit } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import { sendApplication } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import { checkWith } from "../vectors/crypto_basics.ts";
import { loadVectors } from "../vectors/harness.ts";

const rand = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
};

for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
  Deno.test(`JS KDF equals WebCrypto: ${hash}`, async () => {
    const js = new JsKdf(hash);
    const web = new WebKdf(hash);
    const nh = web.hashLength;
    for (
      const n of [0, 1, 31, 64, 200, JS_KDF_LIMIT, JS_KDF_LIMIT + 1, 70000]
    ) {
      const data = rand(n);
      const key = rand(nh);
      assert.deepEqual(await js.hash(data), await web.hash(data));
      assert.deepEqual(await js.mac(key, data), await web.mac(key, data));
      assert.deepEqual(
        await js.extract(new Uint8Array(0), data),
        await web.extract(new Uint8Array(0), data),
      );
      for (const length of [0, 1, 12, nh, nh + 1, 3 * nh]) {
        assert.deepEqual(
          await js.expand(key, data, length),
          await web.expand(key, data, length),
        );
        assert.deepEqual(
          await js.extractExpand(key, data, data.subarray(0, 50), length),
          await web.extractExpand(key, data, data.subarray(0, 50), length),
        );
      }
    }
    await assert.rejects(js.expand(rand(nh), rand(3), 255 * nh + 1));
  });
}

Deno.test("JS KDF and WebCrypto members share a group", async () => {
  const a = await createProvider({ kdf: "js" }).suite(1);
  const b = await createProvider({ kdf: "webcrypto" }).suite(1);
  const cred = (name: string): Credential => ({
    credentialType: 1,
    identity: new TextEncoder().encode(name),
  });
  const alice = await createGroup(
    a,
    cred("alice"),
    await a.signatureGenerateKeyPair(),
  );
  const bobSigner = await b.signatureGenerateKeyPair();
  const bobKp = await generateKeyPackage(b, cred("bob"), bobSigner);
  const added = await createCommit(alice, {
    proposals: [{
      proposalType: ProposalType.add,
      keyPackage: bobKp.keyPackage,
    }],
  });
  let bob = (await joinFromWelcome(b, added.welcome!, {
    keyPackage: bobKp.keyPackage,
    ...bobKp.privateKeys,
    signer: bobSigner.privateKey,
  })).state;
  let aliceState = added.state;
  for (let i = 0; i < 3; i++) {
    const update = await createCommit(aliceState, {});
    const r = await receiveMessage(bob, update.message);
    assert.equal(r.kind, "commit");
    if (r.kind === "commit") bob = r.state;
    aliceState = update.state;
    const back = await createCommit(bob, {});
    const r2 = await receiveMessage(aliceState, back.message);
    assert.equal(r2.kind, "commit");
    if (r2.kind === "commit") aliceState = r2.state;
    bob = back.state;
  }
  const hello = new TextEncoder().encode("hello");
  const got = await receiveMessage(
    bob,
    await sendApplication(aliceState, hello),
  );
  assert.equal(got.kind, "application");
  if (got.kind === "application") assert.deepEqual(got.data, hello);
  assert.deepEqual(
    await mlsExporter(a, aliceState.keys.exporterSecret, "x", hello, 32),
    await mlsExporter(b, bob.keys.exporterSecret, "x", hello, 32),
  );
});

Deno.test("crypto-basics vectors with the JS KDF and with the default KDF", async () => {
  for (
    const p of [
      createProvider({ kdf: "js" }),
      createProvider({ kdf: "webcrypto" }),
    ]
  ) {
    for (const v of loadVectors("crypto-basics.json")) await checkWith(p, v);
  }
});
