// The delivery service with a post-quantum suite (issue 20): a server that
// accepts draft-ietf-mls-pq-ciphersuites' X-Wing suite (0xF001), three
// clients on it over Deno KV: key packages of 2.6 KB (four per default
// registration), a Welcome with the tree, messages, a removal, agreement on
// the exporter. ML-DSA identities are refused (400 unsupported_cipher_suite,
// not a failed KV write): their client ids, the hex of 1312 to 2592-byte
// keys, are too long for the service's ids (MAX_SIGNATURE_KEY_BYTES).
import assert from "node:assert/strict";
import { MLS } from "../../mod.ts";
import { DeliveryError, DeliveryHttp } from "../../delivery.ts";
import { KvStore } from "../../server/store/kv.ts";
import { client, exporter, registerRaw, startServer } from "./helpers.ts";

const XWING = "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519";

Deno.test("server: a post-quantum group end to end (Deno KV store)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  const server = await startServer(await KvStore.open(`${dir}/ds.kv`), {
    cipherSuites: [1, 0xf001, 0xf009],
  });
  try {
    const mls = { cipherSuite: XWING };
    const alice = await client(server.url, "alice", { mls });
    const bob = await client(server.url, "bob", { mls });
    const carol = await client(server.url, "carol", { mls });
    assert.equal((await alice.client.http.me()).keyPackages, 4);

    const g = await alice.client.createGroup();
    assert.equal(g.cipherSuite, 0xf001);
    const gid = g.groupId;
    await alice.client.add(gid, [bob.client.clientId, carol.client.clientId]);
    await bob.client.sync();
    await carol.client.sync();
    await alice.client.send(gid, "post-quantum hello");
    await bob.client.send(gid, "and back");
    for (const c of [alice, bob, carol]) await c.client.sync();
    assert.deepEqual(carol.texts, ["post-quantum hello", "and back"]);
    assert.deepEqual(alice.texts, ["and back"]);

    await bob.client.remove(gid, [carol.client.clientId]);
    await alice.client.sync();
    await carol.client.sync();
    const secrets = await Promise.all(
      [alice, bob].map((c) => exporter(c, gid)),
    );
    assert.equal(secrets[0], secrets[1]);
    assert.equal(
      [alice, bob, carol].flatMap((c) => c.events).filter((e) =>
        e.type === "error"
      ).length,
      0,
    );

    // An ML-DSA-44 identity: a 1312-byte key, a 2624-character client id.
    const pqSig = new MLS({
      cipherSuite: "MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44",
    });
    const id = await pqSig.generateIdentity();
    assert.equal(id.clientId.length, 2624);
    const cred = await pqSig.generateCredential("dsa");
    await assert.rejects(
      registerRaw(new DeliveryHttp(server.url), pqSig, id, cred),
      (e) =>
        e instanceof DeliveryError && e.status === 400 &&
        e.code === "unsupported_cipher_suite",
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
