// webmls behind the interop `Member` interface, on the internal group API.
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { decode, encode } from "../../src/codec/codec.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import {
  type GeneratedKeyPackage,
  generateKeyPackage,
} from "../../src/group/key_package.ts";
import {
  propose,
  proposeUpdate,
  sendApplication,
} from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import type {
  CommitRequest,
  Joiner,
  Member,
  Outcome,
  SentCommit,
} from "./member.ts";

const enc = (msg: MLSMessage): Uint8Array => encode(mlsMessageCodec, msg);
const dec = (bytes: Uint8Array): MLSMessage =>
  decode(mlsMessageCodec, bytes, "MLSMessage");

/** Decodes an encoded KeyPackage MLSMessage. */
function keyPackageOf(bytes: Uint8Array): KeyPackage {
  const m = dec(bytes);
  if (m.wireFormat !== WireFormat.mlsKeyPackage) {
    throw new Error(`expected a key package, got wire format ${m.wireFormat}`);
  }
  return m.keyPackage;
}

/** A webmls member. */
export class WebmlsMember implements Member {
  readonly side = "webmls";
  constructor(readonly name: string, public state: GroupState) {}

  leafIndex(): number {
    return this.state.privateTree.leafIndex;
  }

  epoch(): bigint {
    return this.state.context.epoch;
  }

  #framing(publicMessage: boolean): GroupState {
    const handshakeWireFormat = publicMessage ? "public" : "private";
    return {
      ...this.state,
      config: { ...this.state.config, handshakeWireFormat },
    };
  }

  async send(data: Uint8Array): Promise<Uint8Array> {
    return enc(await sendApplication(this.state, data));
  }

  async receive(bytes: Uint8Array): Promise<Outcome> {
    const r = await receiveMessage(this.state, dec(bytes));
    if (r.kind === "application") return { kind: "application", data: r.data };
    this.state = r.state;
    return { kind: r.kind };
  }

  async commit(req: CommitRequest): Promise<SentCommit> {
    const state = this.#framing(req.public);
    const proposals: Proposal[] = [
      ...(req.add ?? []).map((kp): Proposal => ({
        proposalType: ProposalType.add,
        keyPackage: keyPackageOf(kp),
      })),
      ...(req.remove ?? []).map((removed): Proposal => ({
        proposalType: ProposalType.remove,
        removed,
      })),
    ];
    const c = await createCommit({
      ...state,
      config: {
        ...state.config,
        ratchetTreeExtension: req.treeInWelcome ?? true,
      },
    }, { proposals });
    this.state = c.state;
    return {
      commit: enc(c.message),
      welcome: c.welcome ? enc(welcomeMessage(c.welcome)) : undefined,
      tree: encode(ratchetTreeCodec, c.state.tree.toNodes()),
    };
  }

  async #propose(proposal: Proposal, publicMessage: boolean) {
    const sent = await propose(this.#framing(publicMessage), proposal);
    this.state = sent.state;
    return enc(sent.message);
  }

  proposeAdd(kp: Uint8Array, publicMessage: boolean): Promise<Uint8Array> {
    return this.#propose(
      { proposalType: ProposalType.add, keyPackage: keyPackageOf(kp) },
      publicMessage,
    );
  }

  proposeRemove(leaf: number, publicMessage: boolean): Promise<Uint8Array> {
    return this.#propose(
      { proposalType: ProposalType.remove, removed: leaf },
      publicMessage,
    );
  }

  /** Proposes an Update of this member's leaf (ts-mls cannot send one). */
  async proposeUpdate(publicMessage: boolean): Promise<Uint8Array> {
    const sent = await proposeUpdate(this.#framing(publicMessage));
    this.state = sent.state;
    return enc(sent.message);
  }

  /** This member's leaf encryption key. */
  encryptionKey(): Uint8Array {
    return this.state.tree.getLeaf(this.leafIndex())!.encryptionKey;
  }

  exporter(label: string, context: Uint8Array, length: number) {
    return mlsExporter(
      this.state.cs,
      this.state.keys.exporterSecret,
      label,
      context,
      length,
    );
  }
}

/** A webmls client with a fresh key package. */
export class WebmlsJoiner implements Joiner {
  readonly keyPackage: Uint8Array;
  private constructor(
    readonly name: string,
    private cs: SuiteCrypto,
    private signer: SignatureKeyPair,
    private generated: GeneratedKeyPackage,
  ) {
    this.keyPackage = enc({
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsKeyPackage,
      keyPackage: generated.keyPackage,
    });
  }

  /** Generates a signature key pair and a key package for `name`. */
  static async create(cs: SuiteCrypto, name: string): Promise<WebmlsJoiner> {
    const signer = await cs.signatureGenerateKeyPair();
    const generated = await generateKeyPackage(cs, credentialOf(name), signer);
    return new WebmlsJoiner(name, cs, signer, generated);
  }

  async join(welcome: Uint8Array, tree?: Uint8Array): Promise<Member> {
    const m = dec(welcome);
    if (m.wireFormat !== WireFormat.mlsWelcome) throw new Error("no Welcome");
    const { state } = await joinFromWelcome(this.cs, m.welcome, {
      keyPackage: this.generated.keyPackage,
      ...this.generated.privateKeys,
      signer: this.signer.privateKey,
      ratchetTree: tree && decode(ratchetTreeCodec, tree, "RatchetTree"),
    });
    return new WebmlsMember(this.name, state);
  }
}

/** A basic credential. */
export function credentialOf(name: string): Credential {
  return { credentialType: 1, identity: new TextEncoder().encode(name) };
}

/** Creates a one-member webmls group. */
export async function webmlsGroup(
  cs: SuiteCrypto,
  name: string,
): Promise<WebmlsMember> {
  const signer = await cs.signatureGenerateKeyPair();
  return new WebmlsMember(
    name,
    await createGroup(cs, credentialOf(name), signer),
  );
}
