/**
 * The key export service refuses, each with its code: a fetch by an
 * unauthorized consumer, with a bad, stale or replayed signature; a post
 * by a non-member, for an unauthorized or expired consumer, a label the
 * group did not grant, another epoch, or malformed.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/codec/codec.ts";
import { signWithLabel } from "../../src/crypto/labeled.ts";
import {
  type SealedExports,
  sealedExportsCodec,
} from "../../src/messages/export_consumers.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.ts";
import {
  type ConsumerKeys,
  DeliveryError,
  EXPORT_NONCE_HEADER,
  EXPORT_SIGNATURE_HEADER,
  EXPORT_TIME_HEADER,
  ExportConsumer,
  FETCH_LABEL,
  fetchContent,
} from "../../export.ts";
import { toBase64 } from "../../server/shared/base64.ts";
import { client } from "../server/helpers.ts";
import {
  consumerInput,
  consumerKeys,
  type Fixture,
  groupWithServer,
  view,
} from "./fixtures.ts";

async function refused(p: Promise<unknown>, status: number, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DeliveryError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    return true;
  });
}

/** A signed fetch, built by hand (to replay it or change its parts). */
async function signedFetch(
  f: Fixture,
  id: string,
  keys: ConsumerKeys,
  o: { time?: number; from?: number; signedFrom?: number; nonce?: string } = {},
): Promise<Response> {
  const cs = await defaultProvider().suite(1);
  const time = o.time ?? Date.now();
  const nonce = o.nonce ?? toHex(cs.randomBytes(16));
  const from = o.from ?? 0;
  const content = fetchContent(
    f.server.url,
    f.groupId,
    id,
    o.signedFrom ?? from,
    time,
    nonce,
  );
  const sig = await signWithLabel(
    cs,
    keys.signaturePrivateKey,
    FETCH_LABEL,
    content,
  );
  return await fetch(
    `${f.server.url}/v1/groups/${f.groupId}/exports/${
      toHex(utf8Encode(id))
    }?from=${from}`,
    {
      headers: {
        [EXPORT_TIME_HEADER]: String(time),
        [EXPORT_NONCE_HEADER]: nonce,
        [EXPORT_SIGNATURE_HEADER]: toBase64(sig),
      },
    },
  );
}

async function code(res: Response): Promise<[number, string]> {
  const body = await res.json();
  return [res.status, body.error?.code ?? "ok"];
}

async function authorized(options = {}) {
  const f = await groupWithServer(options);
  const keys = await consumerKeys();
  await f.alice.client.commit(
    f.groupId,
    (g) =>
      g.authorizeConsumer({
        ...consumerInput("sfu", keys),
        expires: new Date(Date.now() + 3600_000),
      }),
  );
  await f.bob.client.sync();
  return { f, keys };
}

/** A SealedExports of the current epoch, changed by `edit`. */
async function crafted(
  f: Fixture,
  edit: (s: SealedExports) => void,
): Promise<Uint8Array> {
  const g = await view(f.alice, f.groupId);
  const s: SealedExports = {
    groupId: fromHex(f.groupId),
    epoch: g.epoch,
    exports: [{
      consumerId: utf8Encode("sfu"),
      label: utf8Encode("media"),
      context: utf8Encode("call-1"),
      sealed: {
        kemOutput: new Uint8Array(32).fill(1),
        ciphertext: new Uint8Array(32 + 16).fill(2),
      },
    }],
  };
  edit(s);
  return encode(sealedExportsCodec, s);
}

Deno.test("export refusals: fetches by an unauthorized consumer, with a bad, stale or replayed signature", async () => {
  const { f, keys } = await authorized();
  try {
    // The honest fetch works.
    assert.deepEqual(await code(await signedFetch(f, "sfu", keys)), [
      200,
      "ok",
    ]);
    // A consumer the group never listed.
    const mallory = await consumerKeys();
    await refused(
      new ExportConsumer({ url: f.server.url, id: "mallory", keys: mallory })
        .fetch(f.groupId),
      403,
      "consumer_not_authorized",
    );
    // The listed id with another key.
    await refused(
      new ExportConsumer({ url: f.server.url, id: "sfu", keys: mallory })
        .fetch(f.groupId),
      401,
      "invalid_request_signature",
    );
    // A signature over other parts (from 0 signed, from 1 asked).
    assert.deepEqual(
      await code(await signedFetch(f, "sfu", keys, { from: 1, signedFrom: 0 })),
      [401, "invalid_request_signature"],
    );
    // Outside the replay window.
    assert.deepEqual(
      await code(
        await signedFetch(f, "sfu", keys, { time: Date.now() - 120_000 }),
      ),
      [401, "stale_request"],
    );
    // The same request twice.
    const nonce = "ab".repeat(16);
    const time = Date.now();
    assert.deepEqual(
      await code(await signedFetch(f, "sfu", keys, { nonce, time })),
      [200, "ok"],
    );
    assert.deepEqual(
      await code(await signedFetch(f, "sfu", keys, { nonce, time })),
      [401, "replayed_request"],
    );
  } finally {
    await f.close();
  }
});

Deno.test("export refusals: posts by a non-member, for an unauthorized consumer or label, another epoch, malformed", async () => {
  const { f } = await authorized();
  try {
    const http = f.alice.client.http;
    const post = (bytes: Uint8Array) => http.postExports(f.groupId, bytes);
    // The honest post (what Alice's client posted already) stores nothing new.
    const honest = await (await view(f.alice, f.groupId)).sealExports();
    assert.deepEqual(await post(honest), { epoch: 2, accepted: 1, stored: 0 });
    // A registered client that is not a member of this epoch.
    const carol = await client(f.server.url, "carol");
    await refused(
      carol.client.http.postExports(f.groupId, honest),
      403,
      "not_member",
    );
    // A consumer the group does not list.
    await refused(
      post(
        await crafted(f, (s) => {
          s.exports[0].consumerId = utf8Encode("mallory");
        }),
      ),
      403,
      "consumer_not_authorized",
    );
    // A label, or a context, the group did not grant it.
    await refused(
      post(
        await crafted(f, (s) => {
          s.exports[0].label = utf8Encode("other");
        }),
      ),
      403,
      "export_not_authorized",
    );
    await refused(
      post(
        await crafted(f, (s) => {
          s.exports[0].context = utf8Encode("call-2");
        }),
      ),
      403,
      "export_not_authorized",
    );
    // Not the group's epoch.
    await refused(
      post(
        await crafted(f, (s) => {
          s.epoch -= 1n;
        }),
      ),
      409,
      "epoch_conflict",
    );
    // Another group's id, a wrong size, trailing bytes.
    await refused(
      post(
        await crafted(f, (s) => {
          s.groupId = new Uint8Array(16);
        }),
      ),
      400,
      "group_mismatch",
    );
    await refused(
      post(
        await crafted(f, (s) => {
          s.exports[0].sealed.ciphertext = new Uint8Array(20);
        }),
      ),
      400,
      "malformed_message",
    );
    await refused(
      post(new Uint8Array([...honest, 0])),
      400,
      "malformed_message",
    );
    await refused(
      post(
        await crafted(f, (s) => {
          s.exports.push(s.exports[0]);
        }),
      ),
      400,
      "bad_request",
    );
    // None of these stored anything: the consumer sees one export.
    assert.equal(
      (await f.exports.listExports(f.groupId, toHex(utf8Encode("sfu")), 0, 10))
        .length,
      1,
    );
  } finally {
    await f.close();
  }
});

Deno.test("export refusals: nothing is accepted for an expired consumer", async () => {
  let offset = 0;
  const { f } = await authorized({
    now: () => new Date(Date.now() + offset),
  });
  try {
    const ok = await crafted(f, () => {});
    offset = 2 * 3600_000; // past the consumer's expiry
    await refused(
      f.alice.client.http.postExports(f.groupId, ok),
      403,
      "consumer_not_authorized",
    );
  } finally {
    await f.close();
  }
});
