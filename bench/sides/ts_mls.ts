/**
 * ts-mls 1.6.4 (a benchmark and test dependency only) behind the
 * benchmark's {@link Side}, with its default crypto provider and client
 * configuration.
 *
 * @module
 */

import {
  acceptAll,
  type CiphersuiteImpl,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type KeyPackage,
  mlsExporter,
  type MLSMessage,
  type PrivateKeyPackage,
  processMessage,
  type Proposal,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import type { BenchCommit, BenchJoiner, Side } from "./side.ts";

const enc = (msg: MLSMessage): Uint8Array => encodeMlsMessage(msg);

function dec(bytes: Uint8Array): MLSMessage {
  const r = decodeMlsMessage(bytes, 0);
  if (!r) throw new Error("ts-mls: cannot decode MLSMessage");
  return r[0];
}

/** A ts-mls joiner: its public and private key package. */
export interface TsMlsJoiner extends BenchJoiner {
  /** The public key package. */
  publicPackage: KeyPackage;
  /** Its private keys. */
  privatePackage: PrivateKeyPackage;
}

/** ts-mls on MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (suite 1). */
export async function tsMlsSide(): Promise<Side<ClientState, TsMlsJoiner>> {
  const impl: CiphersuiteImpl = await getCiphersuiteImpl(
    getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
  );
  const keyPackage = (name: string) =>
    generateKeyPackage(
      { credentialType: "basic", identity: new TextEncoder().encode(name) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    );
  return {
    name: "ts-mls",
    async generateKeyPackage(name) {
      const kp = await keyPackage(name);
      return {
        ...kp,
        keyPackage: enc({
          version: "mls10",
          wireformat: "mls_key_package",
          keyPackage: kp.publicPackage,
        }),
      };
    },
    async createGroup(name) {
      const kp = await keyPackage(name);
      return await createGroup(
        crypto.getRandomValues(new Uint8Array(32)),
        kp.publicPackage,
        kp.privatePackage,
        [],
        impl,
      );
    },
    async commit(state, add): Promise<BenchCommit<ClientState>> {
      const extraProposals = add.map((kp): Proposal => {
        const m = dec(kp);
        if (m.wireformat !== "mls_key_package") throw new Error("not a kp");
        return { proposalType: "add", add: { keyPackage: m.keyPackage } };
      });
      const r = await createCommit(
        { state, cipherSuite: impl },
        { extraProposals, ratchetTreeExtension: true },
      );
      return {
        member: r.newState,
        commit: enc(r.commit),
        welcome: r.welcome &&
          enc({
            version: "mls10",
            wireformat: "mls_welcome",
            welcome: r.welcome,
          }),
      };
    },
    async process(state, commit) {
      const m = dec(commit);
      if (
        m.wireformat !== "mls_private_message" &&
        m.wireformat !== "mls_public_message"
      ) throw new Error("not a framed message");
      const r = await processMessage(m, state, emptyPskIndex, acceptAll, impl);
      if (r.kind === "applicationMessage") throw new Error("not a commit");
      return r.newState;
    },
    async join(joiner, welcome) {
      const m = dec(welcome);
      if (m.wireformat !== "mls_welcome") throw new Error("no Welcome");
      return await joinGroup(
        m.welcome,
        joiner.publicPackage,
        joiner.privatePackage,
        emptyPskIndex,
        impl,
      );
    },
    async send(state, data) {
      const r = await createApplicationMessage(state, data, impl);
      return {
        member: r.newState,
        message: enc({
          version: "mls10",
          wireformat: "mls_private_message",
          privateMessage: r.privateMessage,
        }),
      };
    },
    async receive(state, message) {
      const m = dec(message);
      if (m.wireformat !== "mls_private_message") {
        throw new Error("not private");
      }
      const r = await processMessage(m, state, emptyPskIndex, acceptAll, impl);
      if (r.kind !== "applicationMessage") throw new Error("not application");
      return { member: r.newState, data: r.message };
    },
    exportSecret(state, label, context) {
      return mlsExporter(
        state.keySchedule.exporterSecret,
        label,
        context,
        32,
        impl,
      );
    },
    serialize: (state) => encodeGroupState(state),
    load(bytes) {
      const r = decodeGroupState(bytes, 0);
      if (!r) throw new Error("ts-mls: cannot decode the group state");
      return Promise.resolve({ ...r[0], clientConfig: defaultClientConfig });
    },
    fork: (state) => state,
    leafIndex: (state) => state.privatePath.leafIndex,
    epoch: (state) => state.groupContext.epoch,
  };
}
