// Changing the handshake wire format (src/api/wire_format_setting.ts):
// stored with the state and with our pending commit's next epoch, checked,
// and nothing written when it is already the format.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { commitOwn } from "../../src/api/own_messages.ts";
import { loadViewParts } from "../../src/api/stored_view.ts";
import { storeHandshakeWireFormat } from "../../src/api/wire_format_setting.ts";
import { liveGroup } from "./helpers.ts";

Deno.test("wire_format_setting: stored in the state and the pending commit's", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  await commitOwn(a, t.env, { path: true });
  await storeHandshakeWireFormat(a, "public");
  assert.equal(a.state.config.handshakeWireFormat, "public");
  assert.equal(a.pending!.state.config.handshakeWireFormat, "public");
  const signer = t.group.clients[0].signer.privateKey;
  const stored = await loadViewParts(t.env, a.groupId, a.clientId, signer);
  assert.equal(stored!.state.config.handshakeWireFormat, "public");
  assert.equal(stored!.pending!.state.config.handshakeWireFormat, "public");
  await storeHandshakeWireFormat(a, "private");
  assert.equal(a.state.config.handshakeWireFormat, "private");
});

Deno.test("wire_format_setting: the same format writes nothing; a wrong one is refused", async () => {
  const t = await liveGroup(["alice"]);
  const [a] = t.lives;
  const state = a.state;
  await storeHandshakeWireFormat(a, "private");
  assert.equal(a.state, state);
  await assert.rejects(
    storeHandshakeWireFormat(a, "plain" as never),
    (e) =>
      e instanceof MlsError && e.code === "invalid_argument" &&
      e.field === "format",
  );
  assert.equal(a.state.config.handshakeWireFormat, "private");
});
