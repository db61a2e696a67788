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
