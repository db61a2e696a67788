/**
 * Conversions between the wire structures and the Web API's values, and
 * the normalization of inputs (bytes or tagged objects).
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { type Sender, SenderType } from "../framing/sender.ts";
import { type Credential, CredentialType } from "../messages/credential.ts";
import type { LeafNode } from "../messages/leaf_node.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { PSKType } from "../messages/psk.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { toHex, utf8Decode } from "../util/bytes.ts";
import { checkArray, checkBytes, checkObject, invalid } from "./args.ts";
import type {
  CredentialCheck,
  CredentialValidator,
} from "../group/validation/credential.ts";
import type {
  CredentialHook,
  CredentialInfo,
  Member,
  ProposalInfo,
  SenderInfo,
} from "./types.ts";

/** The client id of a leaf: hex of its signature key. */
export function leafClientId(leaf: LeafNode): string {
  return toHex(leaf.signatureKey);
}

/** The API view of a wire credential. */
export function credentialInfo(c: Credential): CredentialInfo {
  if (c.credentialType === CredentialType.basic) {
    let name: string | undefined;
    try {
      name = utf8Decode(c.identity);
    } catch {
      name = undefined;
    }
    return {
      type: "credential",
      credentialType: "basic",
      identity: c.identity,
      name,
    };
  }
  return {
    type: "credential",
    credentialType: "x509",
    certificates: c.certificates.map((x) => x.certData),
  };
}

/**
 * The wire form of an API credential (from `generateCredential`, or one
 * built by the application), checked; `field` names the argument.
 */
export function wireCredential(c: CredentialInfo, field: string): Credential {
  const o = checkObject(c, field);
  if (o.credentialType === "basic") {
    return {
      credentialType: CredentialType.basic,
      identity: checkBytes(o.identity, `${field}.identity`),
    };
  }
  if (o.credentialType === "x509") {
    const certs = checkArray(o.certificates, `${field}.certificates`);
    if (certs.length === 0) {
      invalid(`${field}.certificates`, "a non-empty array", certs);
    }
    return {
      credentialType: CredentialType.x509,
      certificates: certs.map((certData, i) => ({
        certData: checkBytes(certData, `${field}.certificates.${i}`),
      })),
    };
  }
  return invalid(
    `${field}.credentialType`,
    '"basic" or "x509" (a credential from generateCredential)',
    o.credentialType,
  );
}

/** The member at a leaf, if any. */
export function memberAt(
  tree: RatchetTree,
  leafIndex: number,
): Member | undefined {
  const leaf = tree.getLeaf(leafIndex);
  return leaf && {
    clientId: leafClientId(leaf),
    credential: credentialInfo(leaf.credential),
    leafIndex,
  };
}

/** Every member of a tree, by leaf index. */
export function membersOf(tree: RatchetTree): Member[] {
  const out: Member[] = [];
  for (const [i, leaf] of tree.leaves()) {
    out.push({
      clientId: leafClientId(leaf),
      credential: credentialInfo(leaf.credential),
      leafIndex: i,
    });
  }
  return out;
}

/** The API view of a sender. */
export function senderInfo(
  tree: RatchetTree,
  sender: Sender,
  joiner?: Credential,
): SenderInfo {
  switch (sender.senderType) {
    case SenderType.member: {
      const member = memberAt(tree, sender.leafIndex);
      if (!member) {
        throw new MlsError("invalid_sender", "no member at that leaf");
      }
      return { kind: "member", member };
    }
    case SenderType.external:
      return { kind: "external", index: sender.senderIndex };
    default:
      return {
        kind: "new_member",
        credential: joiner && credentialInfo(joiner),
      };
  }
}

/** The API view of a proposal (`sender` is the proposer). */
export function proposalInfo(
  tree: RatchetTree,
  p: Proposal,
  sender: Sender,
): ProposalInfo {
  switch (p.proposalType) {
    case ProposalType.add:
      return {
        kind: "add",
        member: {
          clientId: leafClientId(p.keyPackage.leafNode),
          credential: credentialInfo(p.keyPackage.leafNode.credential),
        },
      };
    case ProposalType.remove:
      return {
        kind: "remove",
        member: memberAt(tree, p.removed) ??
          { clientId: "", credential: blank, leafIndex: p.removed },
      };
    case ProposalType.update: {
      const i = sender.senderType === SenderType.member ? sender.leafIndex : -1;
      return {
        kind: "update",
        member: memberAt(tree, i) ??
          {
            clientId: leafClientId(p.leafNode),
            credential: credentialInfo(p.leafNode.credential),
            leafIndex: i,
          },
      };
    }
    case ProposalType.psk:
      return {
        kind: "psk",
        pskId: p.psk.pskType === PSKType.external
          ? p.psk.pskId
          : p.psk.pskGroupId,
      };
    case ProposalType.reinit:
      return { kind: "reinit", cipherSuite: p.cipherSuite };
    case ProposalType.externalInit:
      return { kind: "external_init" };
    case ProposalType.groupContextExtensions:
      return { kind: "group_context_extensions" };
  }
}

const blank: CredentialInfo = {
  type: "credential",
  credentialType: "basic",
  identity: new Uint8Array(0),
};

/** The group layer's credential validator that asks the API's hook. */
export function credentialValidator(hook: CredentialHook): CredentialValidator {
  return (c: CredentialCheck) =>
    hook({
      event: c.event,
      groupId: toHex(c.groupId),
      clientId: toHex(c.signatureKey),
      credential: credentialInfo(c.credential),
      previous: c.previous && credentialInfo(c.previous),
    });
}
