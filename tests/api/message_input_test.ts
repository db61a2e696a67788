// Message inputs (src/api/message_input.ts): the bytes of each kind of
// output, and the header checks of decodeMessage (not MLS at all, a wire
// format the call does not take) before anything else is decoded.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { decodeMessage, messageBytes } from "../../src/api/message_input.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { conversation } from "./helpers.ts";

function failsWith(f: () => unknown, code: string, field: string): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof MlsError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.field, field);
    return true;
  });
}

Deno.test("message_input: the bytes of raw input and of each output", async () => {
  const { mls, bob, a, add } = await conversation({ autoCommit: false });
  const raw = new Uint8Array([1, 2]);
  assert.equal(messageBytes(raw, "m"), raw);
  assert.equal(messageBytes(add, "m"), add.commit);
  assert.equal(messageBytes(add, "m", "welcome"), add.welcome);
  assert.equal(messageBytes(add, "m", "groupInfo"), add.groupInfo);
  const p = await a.proposeUpdate();
  assert.equal(messageBytes(p, "m"), p.proposal);
  const kp = await mls.generateKeyPackage(
    bob,
    await mls.generateCredential("b"),
  );
  assert.equal(messageBytes(kp, "m"), kp.bytes);
});

Deno.test("message_input: what is not a message input is named", async () => {
  const { a } = await conversation();
  const update = await a.update(); // no Welcome
  failsWith(
    () => messageBytes(update, "m", "welcome"),
    "invalid_argument",
    "m",
  );
  failsWith(() => messageBytes("bytes", "m"), "invalid_argument", "m");
  failsWith(
    () => messageBytes({ type: "proposal" }, "m"),
    "invalid_argument",
    "m.proposal",
  );
  failsWith(() => messageBytes(null, "m"), "invalid_argument", "m");
});

Deno.test("message_input: decodeMessage checks the version, then the wire format", async () => {
  const { add } = await conversation();
  const group = [WireFormat.mlsPublicMessage, WireFormat.mlsPrivateMessage];
  assert.equal(
    decodeMessage(add.welcome!, "w", [WireFormat.mlsWelcome]).wireFormat,
    WireFormat.mlsWelcome,
  );
  failsWith(
    () => decodeMessage(add.welcome!, "message", group),
    "invalid_wire_format",
    "message.wireFormat",
  );
  const notMls = add.commit.slice();
  notMls[1] = 2;
  failsWith(
    () => decodeMessage(notMls, "message", group),
    "not_mls_message",
    "message.version",
  );
  // Right header, body cut short: a decoding error naming the field.
  assert.throws(
    () => decodeMessage(add.commit.subarray(0, 10), "message", group),
    (e) => e instanceof MlsError && e.code === "truncated",
  );
});
