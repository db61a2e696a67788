// The epoch authenticator (RFC 9420 §8.7) in details() and the safety
// number derived from it, through the public API and the example.
import assert from "node:assert/strict";
import { MLS } from "../../../mod.ts";
import { safetyNumber } from "../../../src/api/safety_number.ts";
import { defaultProvider } from "../../../providers/mod.ts";
import { fromHex } from "../../../src/util/bytes.ts";
import { main } from "../../../examples/safety_number.ts";

const FORMAT = /^\d{5}( \d{5}){5}$/;

Deno.test("safety number: equal across members, new each epoch (example)", async () => {
  const lines: string[] = [];
  const r = await main((l) => lines.push(l));
  assert.equal(lines.length, 4);
  assert.match(r.before[0], FORMAT);
  assert.equal(r.before[0], r.before[1]);
  assert.equal(r.after[0], r.after[1]);
  assert.notEqual(r.before[0], r.after[0]);
  assert.deepEqual(r.authenticators[0], r.authenticators[1]);
});

Deno.test("safety number: details() carries the epoch authenticator; the code is derived as documented", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const d = group.details();
  const cs = await defaultProvider().suite(group.cipherSuite);
  assert.equal(d.epochAuthenticator.length, cs.hashLength);
  // The documented derivation, recomputed from the public values.
  const code = await cs.kdfExpand(
    d.epochAuthenticator,
    labelInfo("webmls safety number", fromHex(group.groupId), 30),
    30,
  );
  const digits = [0, 1, 2, 3, 4, 5].map((g) => {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + code[g * 5 + i];
    return String(n % 100000).padStart(5, "0");
  }).join(" ");
  assert.equal(await group.safetyNumber(), digits);
  // Another group id gives another number from the same authenticator.
  assert.notEqual(
    await safetyNumber(cs, d.epochAuthenticator, new Uint8Array([1])),
    digits,
  );
  // details() hands out a copy: changing it changes nothing.
  d.epochAuthenticator.fill(0);
  assert.notDeepEqual(group.details().epochAuthenticator, d.epochAuthenticator);
  assert.equal(await group.safetyNumber(), digits);
});

/** KDFLabel (RFC 9420 §8), written out here rather than imported. */
function labelInfo(label: string, context: Uint8Array, length: number) {
  const l = new TextEncoder().encode("MLS 1.0 " + label);
  // Lengths below 64 are one-byte varints (§2.1.2).
  return new Uint8Array([
    length >> 8,
    length & 0xff,
    l.length,
    ...l,
    context.length,
    ...context,
  ]);
}
