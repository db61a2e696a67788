// Test helpers: members as (credential, signer) pairs, a message bus that
// round-trips every message through its wire encoding.
import { decode, encode } from "../../src/codec/codec.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import type { KeyPackagePrivate } from "../../src/group/key_package.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { MlsError } from "../../src/errors.ts";
import type { AuthenticatedContent } from "../../src/framing/authenticated_content.ts";
import type {
  FramedContent,
  FramedContentBody,
} from "../../src/framing/framed_content.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { signFramedContent } from "../../src/framing/sign.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import type { GroupConfig } from "../../src/group/config.ts";
import { createGroup } from "../../src/group/create.ts";
import {
  frame,
  handshakeWireFormat,
  ownContent,
} from "../../src/group/framing.ts";
import { sendApplication } from "../../src/group/propose.ts";
import {
  receiveMessage,
  type ReceiveOptions,
} from "../../src/group/receive.ts";
import { type GroupState, ownLeaf } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import { toHex } from "../../src/util/bytes.ts";

/** A client: identity, credential and signature keys. */
export interface Client {
  name: string;
  credential: Credential;
  signer: SignatureKeyPair;
}

export async function client(cs: SuiteCrypto, name: string): Promise<Client> {
  return {
    name,
    credential: { credentialType: 1, identity: new TextEncoder().encode(name) },
    signer: await cs.signatureGenerateKeyPair(),
  };
}

export async function keyPackageOf(
  cs: SuiteCrypto,
  c: Client,
): Promise<{ keyPackage: KeyPackage; privateKeys: KeyPackagePrivate }> {
  return await generateKeyPackage(cs, c.credential, c.signer);
}

/** Encodes and decodes, as a message crossing the network would be. */
export function wire(msg: MLSMessage): MLSMessage {
  return decode(mlsMessageCodec, encode(mlsMessageCodec, msg), "MLSMessage");
}

export function welcomeOf(msg: MLSMessage | Welcome): Welcome {
  if ("wireFormat" in msg) {
    if (msg.wireFormat !== WireFormat.mlsWelcome) throw new Error("no welcome");
    return msg.welcome;
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Helpers for the malicious-message, delivery and authorization tests.

/** A group of test clients and their states, index = leaf index. */
export interface TestGroup {
  cs: SuiteCrypto;
  clients: Client[];
  states: GroupState[];
}

/**
 * A group whose first member creates it and adds all others in one commit;
 * every member uses `config`. Leaf `i` belongs to `names[i]`.
 */
export async function groupOf(
  cs: SuiteCrypto,
  names: string[],
  config: Partial<GroupConfig> = {},
): Promise<TestGroup> {
  const clients = await Promise.all(names.map((n) => client(cs, n)));
  const creator = await createGroup(
    cs,
    clients[0].credential,
    clients[0].signer,
    { config },
  );
  if (clients.length === 1) return { cs, clients, states: [creator] };
  const kps = await Promise.all(
    clients.slice(1).map((c) => keyPackageOf(cs, c)),
  );
  const add = await createCommit(creator, {
    proposals: kps.map((kp) => ({
      proposalType: 1,
      keyPackage: kp.keyPackage,
    })),
  });
  const welcome = welcomeOf(wire(welcomeMessage(add.welcome!)));
  const joined = await Promise.all(
    kps.map((kp, i) =>
      joinFromWelcome(cs, welcome, {
        keyPackage: kp.keyPackage,
        ...kp.privateKeys,
        signer: clients[i + 1].signer.privateKey,
        config,
      })
    ),
  );
  return { cs, clients, states: [add.state, ...joined.map((j) => j.state)] };
}

/** Awaits `op` and asserts it fails with an `MlsError` of `code`. */
export async function rejectsWith(
  op: Promise<unknown> | (() => Promise<unknown>),
  code: string,
  what = "",
): Promise<MlsError> {
  try {
    await (typeof op === "function" ? op() : op);
  } catch (e) {
    if (!(e instanceof MlsError)) {
      throw new Error(`${what}: expected MlsError(${code}), got ${e}`, {
        cause: e,
      });
    }
    if (e.code !== code) {
      throw new Error(
        `${what}: expected MlsError(${code}), got ${e.code}: ${e.message}`,
        { cause: e },
      );
    }
    return e;
  }
  throw new Error(`${what}: expected MlsError(${code}), but it succeeded`);
}

/** The exporter secret of a state (label "test"). */
export function exporterOf(s: GroupState): Promise<Uint8Array> {
  return mlsExporter(s.cs, s.keys.exporterSecret, "test", new Uint8Array(), 32);
}

/**
 * Receives a proposal or commit expecting success; returns the new state
 * (for a proposal or commit) with the kind asserted.
 */
export async function accept(
  s: GroupState,
  msg: MLSMessage,
  kind: "proposal" | "commit" | "removed",
  options?: ReceiveOptions,
): Promise<GroupState> {
  const r = await receiveMessage(s, wire(msg), options);
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}`);
  return r.state;
}

/**
 * Delivers a handshake message from leaf `from` to every other member
 * (index `from` gets `own`, its pending state, when given).
 */
export async function broadcast(
  g: TestGroup,
  from: number,
  msg: MLSMessage,
  own?: GroupState,
  options?: ReceiveOptions,
): Promise<void> {
  g.states = await Promise.all(g.states.map(async (s, i) => {
    if (i === from) return own ?? s;
    const r = await receiveMessage(s, wire(msg), options);
    if (r.kind === "application") throw new Error("unexpected application");
    return r.state;
  }));
}

/**
 * Asserts the group works: every member sends an application message that
 * every other member decrypts, and all exporter secrets agree.
 */
export async function assertGroupWorks(g: TestGroup): Promise<void> {
  const epoch = g.states[0].context.epoch;
  const ref = await exporterOf(g.states[0]);
  for (let i = 0; i < g.states.length; i++) {
    const s = g.states[i];
    if (s.context.epoch !== epoch) {
      throw new Error(`member ${i} at epoch ${s.context.epoch}, not ${epoch}`);
    }
    if (toHex(await exporterOf(s)) !== toHex(ref)) {
      throw new Error(`member ${i}: exporter secret differs`);
    }
    const text = `ping from ${i}`;
    const msg = await sendApplication(s, new TextEncoder().encode(text));
    for (let j = 0; j < g.states.length; j++) {
      if (j === i) continue;
      const r = await receiveMessage(g.states[j], wire(msg));
      if (
        r.kind !== "application" ||
        new TextDecoder().decode(r.data) !== text ||
        r.sender !== ownLeaf(s)
      ) {
        throw new Error(`member ${j} did not read member ${i}'s message`);
      }
    }
  }
}

/** `s` with PublicMessage handshakes (its keys are shared, not copied). */
export function publicView(s: GroupState): GroupState {
  return { ...s, config: { ...s.config, handshakeWireFormat: "public" } };
}

/**
 * Signs `body` as `sender` (in `sender`'s current epoch) and frames it in
 * `sender`'s handshake wire format (application data: PrivateMessage): a
 * message a member could craft by hand, bypassing the checks of
 * `createCommit`/`propose`. A commit gets
 * `confirmationTag` (random by default); `tamper` may change the signed
 * content before it is framed.
 */
export async function forge(
  sender: GroupState,
  body: FramedContentBody,
  options: {
    confirmationTag?: Uint8Array;
    tamper?: (signed: AuthenticatedContent) => AuthenticatedContent;
    content?: (c: FramedContent) => FramedContent;
  } = {},
): Promise<MLSMessage> {
  const cs = sender.cs;
  let content = ownContent(sender, body);
  if (options.content) content = options.content(content);
  let signed = await signFramedContent(cs, content, {
    wireFormat: content.contentType === ContentType.application
      ? WireFormat.mlsPrivateMessage
      : handshakeWireFormat(sender),
    signatureKey: sender.signer,
    groupContext: sender.context,
    confirmationTag: options.confirmationTag ?? cs.randomBytes(cs.hashLength),
  });
  if (options.tamper) signed = options.tamper(signed);
  return await frame(sender, signed);
}

/** A copy of `b` with bit `bit` of octet `i` flipped (negative `i` from the end). */
export function flipBit(b: Uint8Array, i: number, bit = 0): Uint8Array {
  const out = b.slice();
  const at = i < 0 ? out.length + i : i;
  out[at] ^= 1 << bit;
  return out;
}

/** The TLS encoding of a message. */
export function bytesOf(msg: MLSMessage): Uint8Array {
  return encode(mlsMessageCodec, msg);
}

/** Decodes a message from the wire. */
export function messageFrom(bytes: Uint8Array): MLSMessage {
  return decode(mlsMessageCodec, bytes, "MLSMessage");
}
