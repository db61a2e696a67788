/**
 * webmls behind the benchmark's {@link Side}, on the internal group API
 * (what `mod.ts`'s GroupView runs, minus storage).
 *
 * @module
 */

import {
  createProvider,
  defaultProvider,
  type ProviderOptions,
} from "../../providers/mod.ts";
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
import { sendApplication } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import {
  deserializeGroupState,
  serializeGroupState,
} from "../../src/group/stored/serialize.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import type { BenchCommit, BenchJoiner, Side } from "./side.ts";

const enc = (msg: MLSMessage): Uint8Array => encode(mlsMessageCodec, msg);
const dec = (bytes: Uint8Array): MLSMessage =>
  decode(mlsMessageCodec, bytes, "MLSMessage");

function credential(name: string): Credential {
  return { credentialType: 1, identity: new TextEncoder().encode(name) };
}

/** A webmls joiner: its key package, private keys and signer. */
export interface WebmlsJoiner extends BenchJoiner {
  /** The signature key pair. */
  signer: SignatureKeyPair;
  /** The key package and its private keys. */
  generated: GeneratedKeyPackage;
}

/**
 * webmls on cipher suite `suite` with the default provider, or with the
 * given provider options (`kdf: "js"`).
 */
export async function webmlsSide(
  suite = 1,
  options: ProviderOptions = {},
): Promise<Side<GroupState, WebmlsJoiner>> {
  const provider = Object.keys(options).length === 0
    ? defaultProvider()
    : createProvider(options);
  const cs: SuiteCrypto = await provider.suite(suite);
  return {
    name: provider.name,
    async generateKeyPackage(name) {
      const signer = await cs.signatureGenerateKeyPair();
      const generated = await generateKeyPackage(cs, credential(name), signer);
      return {
        signer,
        generated,
        keyPackage: enc({
          version: ProtocolVersion.mls10,
          wireFormat: WireFormat.mlsKeyPackage,
          keyPackage: generated.keyPackage,
        }),
      };
    },
    async createGroup(name) {
      const signer = await cs.signatureGenerateKeyPair();
      return await createGroup(cs, credential(name), signer);
    },
    async commit(state, add): Promise<BenchCommit<GroupState>> {
      const proposals = add.map((kp): Proposal => {
        const m = dec(kp);
        if (m.wireFormat !== WireFormat.mlsKeyPackage) {
          throw new Error("not a key package");
        }
        return { proposalType: ProposalType.add, keyPackage: m.keyPackage };
      });
      const c = await createCommit(state, { proposals });
      return {
        member: c.state,
        commit: enc(c.message),
        welcome: c.welcome && enc(welcomeMessage(c.welcome)),
      };
    },
    async process(state, commit) {
      const r = await receiveMessage(state, dec(commit));
      if (r.kind !== "commit") throw new Error(`expected a commit: ${r.kind}`);
      return r.state;
    },
    async join(joiner, welcome) {
      const m = dec(welcome);
      if (m.wireFormat !== WireFormat.mlsWelcome) throw new Error("no Welcome");
      const { state } = await joinFromWelcome(cs, m.welcome, {
        keyPackage: joiner.generated.keyPackage,
        ...joiner.generated.privateKeys,
        signer: joiner.signer.privateKey,
      });
      return state;
    },
    async send(state, data) {
      return {
        member: state,
        message: enc(await sendApplication(state, data)),
      };
    },
    async receive(state, message) {
      const r = await receiveMessage(state, dec(message));
      if (r.kind !== "application") throw new Error("expected application");
      return { member: state, data: r.data };
    },
    exportSecret(state, label, context) {
      return mlsExporter(cs, state.keys.exporterSecret, label, context, 32);
    },
    serialize: (state) => serializeGroupState(state),
    load: (bytes) => deserializeGroupState(bytes, provider),
    fork: (state) => ({ ...state, secretTree: state.secretTree.clone() }),
    leafIndex: (state) => state.privateTree.leafIndex,
    epoch: (state) => state.context.epoch,
  };
}
