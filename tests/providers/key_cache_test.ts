// forgetSecret: a deleted secret's cached values go from every cache, and
// the secret tree uses it for the ratchet secrets it consumes.

import assert from "node:assert/strict";
import { SecretCache } from "../../providers/key_cache.ts";
import { forgetSecret } from "../../src/util/secret_holders.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { SecretTree } from "../../src/schedule/secret_tree.ts";
import { toHex, wipe } from "../../src/util/bytes.ts";

Deno.test("key cache: forgetSecret drops the entries of one buffer in every cache", async () => {
  const a = new SecretCache<number>(), b = new SecretCache<number>();
  const raw = new Uint8Array([1, 2, 3]), other = new Uint8Array([1, 2, 3]);
  let made = 0;
  const make = () => Promise.resolve(++made);
  assert.equal(await a.get(raw, make), 1);
  assert.equal(await b.get(raw, make), 2);
  assert.equal(await a.get(other, make), 3);
  assert.equal(await a.get(raw, make), 1, "a hit");
  forgetSecret(raw);
  assert.equal(await a.get(raw, make), 4, "made again after forgetting");
  assert.equal(await b.get(raw, make), 5);
  assert.equal(await a.get(other, make), 3, "another buffer is kept");
  forgetSecret(new Uint8Array(3)); // nothing cached: no effect
  b.set(other, 9);
  forgetSecret(other);
  assert.equal(await b.get(other, make), 6);
});

Deno.test("key cache: wiping a secret drops what was cached from it", async () => {
  const cache = new SecretCache<number>();
  let n = 0;
  const make = () => Promise.resolve(++n);
  const raw = new Uint8Array(32).fill(1);
  assert.equal(await cache.get(raw, make), 1);
  assert.equal(await cache.get(raw, make), 1, "a hit");
  wipe(raw);
  raw.fill(1); // the same bytes again in the same buffer: not a stale hit
  assert.equal(await cache.get(raw, make), 2, "made again after the wipe");
});

Deno.test("secret tree: ratchet keys are unchanged by forgetting consumed secrets", async () => {
  const cs = await defaultProvider().suite(1);
  const t = SecretTree.create(cs, new Uint8Array(32).fill(7), 4);
  const u = SecretTree.create(cs, new Uint8Array(32).fill(7), 4);
  // The sender consumes generations in order; the receiver jumps ahead
  // and back (skipped keys), then both continue.
  const sent = [];
  for (let g = 0; g < 6; g++) sent.push(await t.nextKey(1, "application"));
  const late = await u.consumeKey(1, "application", 4);
  const early = await u.consumeKey(1, "application", 1);
  assert.equal(toHex(late.key), toHex(sent[4].key));
  assert.equal(toHex(early.nonce), toHex(sent[1].nonce));
  assert.equal(
    toHex((await u.consumeKey(1, "application", 5)).key),
    toHex(sent[5].key),
  );
});
