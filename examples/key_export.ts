/**
 * The key export service (issue 18): Alice authorizes an SFU for SFrame
 * base keys (RFC 9605 §5.2); the SFU, which is no member and holds no MLS
 * state, fetches each epoch's key sealed to it through the service and
 * prints its SFrame key for sender 0. The service relays ciphertexts only.
 *
 * Run: `npx deno run -A examples/key_export.ts`
 */
import { MLS } from "../mod.ts";
import { DeliveryClient } from "../delivery.ts";
import {
  ExportConsumer,
  generateConsumerKeys,
  sframeExport,
  sframeKeyAndSalt,
  sframeKeyId,
} from "../export.ts";
import { createApp } from "../server/app.ts";
import { MemoryExportStore } from "../server/exports/memory_store.ts";
import { MemoryStore } from "../server/store/memory.ts";

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * Runs the example; returns each epoch's SFrame key (hex) and Alice's
 * view, for the test.
 */
export async function main(log: (line: string) => void = console.log) {
  // The delivery service with the key export routes, on a loopback port.
  const app = createApp(new MemoryStore(), {
    exports: new MemoryExportStore(),
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    // --- README: start ---
    const alice = await DeliveryClient.register(url, new MLS(), {
      name: "alice",
    });
    const group = await alice.createGroup();
    // The SFU makes its keys and gives the group the public halves.
    const keys = await generateConsumerKeys(group.cipherSuite);
    const suite = 4; // SFrame AES_128_GCM_SHA256_128
    await alice.commit(
      group.groupId,
      (g) =>
        g.authorizeConsumer({
          id: "sfu",
          hpkePublicKey: keys.hpkePublicKey,
          signaturePublicKey: keys.signaturePublicKey,
          exports: [sframeExport(suite)],
        }),
    );
    await alice.update(group.groupId); // a new epoch: Alice's client seals again

    const sfu = new ExportConsumer({ url, id: "sfu", keys });
    const keysByEpoch: string[] = [];
    for (const e of (await sfu.fetch(group.groupId)).secrets) {
      const kid = sframeKeyId(e.epoch, 0, { epochBits: 4, indexBits: 6 });
      const { key } = await sframeKeyAndSalt(e.secret, kid, suite);
      log(`epoch ${e.epoch}: KID ${kid}, SFrame key ${hex(key)}`);
      keysByEpoch.push(hex(key));
    }
    // --- README: end ---
    const view = await alice.group(group.groupId);
    return { keysByEpoch, view: view! };
  } finally {
    await server.shutdown();
  }
}

if (import.meta.main) await main();
