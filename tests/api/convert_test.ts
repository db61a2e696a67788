// Conversions between wire structures and the Web API's values
// (src/api/convert.ts): credentials both ways (with their checks),
// members of a tree, senders, proposal summaries, the credential hook.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  credentialInfo,
  credentialValidator,
  memberAt,
  membersOf,
  proposalInfo,
  senderInfo,
  wireCredential,
} from "../../src/api/convert.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { CredentialType } from "../../src/messages/credential.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { toHex } from "../../src/util/bytes.ts";
import { groupOf } from "../group/helpers.ts";
import { testEnv } from "./helpers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const member = (leafIndex: number) => ({
  senderType: SenderType.member,
  leafIndex,
} as const);

async function trio() {
  const cs = await testEnv().provider.suite(1);
  return await groupOf(cs, ["alice", "bob", "charlie"]);
}

function invalidAt(f: () => unknown, field: string): void {
  assert.throws(
    f,
    (e) =>
      e instanceof MlsError && e.code === "invalid_argument" &&
      e.field === field,
  );
}

Deno.test("convert: credentials to the API and back", () => {
  const basic = { credentialType: CredentialType.basic, identity: utf8("bob") };
  const info = credentialInfo(basic);
  assert.deepEqual(info, {
    type: "credential",
    credentialType: "basic",
    identity: utf8("bob"),
    name: "bob",
  });
  assert.deepEqual(wireCredential(info, "c"), basic);
  // Identity bytes that are not UTF-8 have no name.
  const raw = credentialInfo({
    credentialType: CredentialType.basic,
    identity: new Uint8Array([0xff]),
  });
  assert.equal(raw.credentialType === "basic" && raw.name, undefined);
  const x509 = {
    credentialType: CredentialType.x509,
    certificates: [{ certData: utf8("cert") }],
  };
  assert.deepEqual(wireCredential(credentialInfo(x509), "c"), x509);
});

Deno.test("convert: wireCredential names what is wrong", () => {
  invalidAt(() => wireCredential(null as never, "cred"), "cred");
  invalidAt(
    () =>
      wireCredential(
        { credentialType: "basic", identity: "x" } as never,
        "cred",
      ),
    "cred.identity",
  );
  invalidAt(
    () =>
      wireCredential(
        { credentialType: "x509", certificates: [] } as never,
        "cred",
      ),
    "cred.certificates",
  );
  invalidAt(
    () =>
      wireCredential(
        { credentialType: "x509", certificates: [utf8("a"), 1] } as never,
        "cred",
      ),
    "cred.certificates.1",
  );
  invalidAt(
    () => wireCredential({ credentialType: "pgp" } as never, "cred"),
    "cred.credentialType",
  );
});

Deno.test("convert: members of a tree, by leaf, with hex client ids", async () => {
  const g = await trio();
  const tree = g.states[0].tree;
  const ms = membersOf(tree);
  assert.deepEqual(ms.map((m) => m.leafIndex), [0, 1, 2]);
  assert.equal(ms[1].clientId, toHex(g.clients[1].signer.publicKey));
  assert.deepEqual(memberAt(tree, 2), ms[2]);
  assert.equal(memberAt(tree, 3), undefined);
});

Deno.test("convert: senders", async () => {
  const tree = (await trio()).states[0].tree;
  const m = senderInfo(tree, member(1));
  assert.equal(m.kind === "member" && m.member.leafIndex, 1);
  assert.throws(
    () => senderInfo(tree, member(5)),
    (e) => e instanceof MlsError && e.code === "invalid_sender",
  );
  assert.deepEqual(
    senderInfo(tree, { senderType: SenderType.external, senderIndex: 2 }),
    { kind: "external", index: 2 },
  );
  const joiner = {
    credentialType: CredentialType.basic,
    identity: utf8("dan"),
  };
  const nm = senderInfo(
    tree,
    { senderType: SenderType.newMemberCommit },
    joiner,
  );
  assert.equal(nm.kind, "new_member");
  assert.equal(
    nm.kind === "new_member" && nm.credential?.credentialType,
    "basic",
  );
});

Deno.test("convert: proposal summaries", async () => {
  const g = await trio();
  const tree = g.states[0].tree;
  const removed = proposalInfo(
    tree,
    { proposalType: ProposalType.remove, removed: 2 },
    member(0),
  );
  assert.equal(removed.kind === "remove" && removed.member.leafIndex, 2);
  assert.equal(
    removed.kind === "remove" && removed.member.clientId,
    toHex(g.clients[2].signer.publicKey),
  );
  // A leaf already gone: the index, no client id.
  const gone = proposalInfo(
    tree,
    { proposalType: ProposalType.remove, removed: 7 },
    member(0),
  );
  assert.equal(gone.kind === "remove" && gone.member.clientId, "");
  const psk = proposalInfo(tree, {
    proposalType: ProposalType.psk,
    psk: {
      pskType: PSKType.external,
      pskId: utf8("id"),
      pskNonce: new Uint8Array(32),
    },
  }, member(0));
  assert.deepEqual(psk, { kind: "psk", pskId: utf8("id") });
  assert.deepEqual(
    proposalInfo(tree, {
      proposalType: ProposalType.externalInit,
      kemOutput: new Uint8Array(),
    }, member(0)),
    { kind: "external_init" },
  );
});

Deno.test("convert: the credential hook sees API values", async () => {
  const seen: unknown[] = [];
  const validate = credentialValidator((r) => {
    seen.push(r);
    return r.clientId === "0102";
  });
  const check = {
    event: "add" as const,
    credential: { credentialType: CredentialType.basic, identity: utf8("a") },
    signatureKey: new Uint8Array([1, 2]),
    groupId: new Uint8Array([0xab]),
  };
  assert.equal(await validate(check), true);
  assert.equal(
    await validate({ ...check, signatureKey: new Uint8Array([3]) }),
    false,
  );
  const first = seen[0] as Record<string, unknown>;
  assert.equal(first.groupId, "ab");
  assert.equal(first.event, "add");
  assert.equal(first.previous, undefined);
});
