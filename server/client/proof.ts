/**
 * The client's side of proofs of possession (`server/shared/proof.ts`): a
 * fresh key package, and the identity's signature over the purpose, the
 * service's origin as this client knows it (its URL, never what the
 * service says) and a challenge the service just issued.
 *
 * @module
 */

import type {
  CredentialInfo,
  Identity,
  KeyPackageCapabilities,
  MLS,
} from "../../mod.ts";
import {
  PROOF_LABEL,
  proofContent,
  type ProofPurpose,
} from "../shared/proof.ts";
import type { DeliveryHttp, Proof } from "./http.ts";

/** A key package of `identity` and a proof for `purpose` at `http.url`. */
export async function prove(
  http: DeliveryHttp,
  mls: MLS,
  identity: Identity | string,
  credential: CredentialInfo,
  purpose: ProofPurpose,
  capabilities?: KeyPackageCapabilities,
): Promise<{ keyPackage: Uint8Array; proof: Proof }> {
  const { challenge } = await http.challenge();
  // Registration uploads this key package too: it advertises what the
  // client's other key packages do.
  const kp = await mls.generateKeyPackage(identity, credential, {
    capabilities,
  });
  const signature = await mls.signWithIdentity(
    identity,
    PROOF_LABEL,
    proofContent(purpose, http.url, challenge),
  );
  return { keyPackage: kp.bytes, proof: { challenge, signature } };
}
