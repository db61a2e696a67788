/**
 * The values the Web API hands out and takes back. Every output says what
 * it is with a `type` field; inputs accept either those objects or the raw
 * MLS bytes they wrap.
 *
 * @module
 */

import type { MlsError } from "../errors.ts";

/**
 * A client: an identifier and a signature key pair kept in storage. The id
 * is the hex signature public key, which every member can see in the
 * group's tree, so it names the client in `remove()` and in `details()`.
 */
export interface Identity {
  /** `"identity"` */
  readonly type: "identity";
  /** The client id: hex of the signature public key. */
  readonly clientId: string;
  /** The cipher suite the keys belong to. */
  readonly cipherSuite: number;
  /** The signature public key. */
  readonly signaturePublicKey: Uint8Array;
}

/** A basic credential (RFC 9420 §5.3): a name the application vouches for. */
export interface BasicCredential {
  /** `"credential"` */
  readonly type: "credential";
  /** `"basic"` */
  readonly credentialType: "basic";
  /** The identity bytes (UTF-8 of the name). */
  readonly identity: Uint8Array;
  /** The identity as text, when it is valid UTF-8. */
  readonly name?: string;
}

/** An X.509 credential: a certificate chain, leaf first. */
export interface X509Credential {
  /** `"credential"` */
  readonly type: "credential";
  /** `"x509"` */
  readonly credentialType: "x509";
  /** DER certificates, leaf first. */
  readonly certificates: Uint8Array[];
}

/** A credential of either kind. */
export type CredentialInfo = BasicCredential | X509Credential;

/** A KeyPackage to hand to others (via a directory or delivery service). */
export interface KeyPackageOutput {
  /** `"keyPackage"` */
  readonly type: "keyPackage";
  /** The KeyPackage as an MLSMessage. */
  readonly bytes: Uint8Array;
  /** Its KeyPackageRef, hex. */
  readonly ref: string;
  /** The owner's client id. */
  readonly clientId: string;
}

/** An extension (RFC 9420 §13.4): a type and its encoded data. */
export interface ExtensionInput {
  /** The extension type (uint16). */
  readonly extensionType: number;
  /** The extension data. */
  readonly extensionData: Uint8Array;
}

/** What every member must support (`required_capabilities`, §11.1). */
export interface RequiredCapabilitiesInfo {
  /** Extension types (uint16) every member must support. */
  readonly extensions: readonly number[];
  /** Proposal types (uint16) every member must support. */
  readonly proposals: readonly number[];
  /** Credential types (basic 1, X.509 2) every member must support. */
  readonly credentials: readonly number[];
}

/**
 * A client outside the group allowed to send it proposals (an entry of
 * `external_senders`, §12.1.8.1), such as a delivery service: its
 * signature public key and credential. An `Identity` spread with a
 * credential (`{ ...service, credential }`) is one.
 */
export interface ExternalSenderInfo {
  /** The sender's signature public key. */
  readonly signaturePublicKey: Uint8Array;
  /** The sender's credential. */
  readonly credential: CredentialInfo;
}

/**
 * A group's context extensions. Given to `groupCreate`, `setExtensions`
 * and `proposeExtensions` they are the whole new set: what is left out is
 * removed. `details().extensions` has the same shape, so
 * `{ ...group.details().extensions, application: [...] }` changes one part.
 */
export interface GroupExtensions {
  /** `required_capabilities`: what members (and joiners) must support. */
  readonly requiredCapabilities?: Partial<RequiredCapabilitiesInfo>;
  /** `external_senders`: who outside the group may propose. */
  readonly externalSenders?: readonly ExternalSenderInfo[];
  /**
   * The application's own extensions, one per type: any type but the
   * registered ones 1 to 5 (RFC 9420 §17.3; use the fields above), e.g.
   * from the private-use range 0xF000 to 0xFFFF. Every member must list
   * the type in its capabilities (`generateKeyPackage`'s
   * `capabilities.extensions`).
   */
  readonly application?: readonly ExtensionInput[];
  /**
   * The key export service's consumers (webmls's private-use extension
   * 0xF0E5): non-members that members hand exporter secrets to, sealed to
   * each consumer's HPKE key. Usually changed with
   * `authorizeConsumer` / `revokeConsumer`.
   */
  readonly exportConsumers?: readonly ExportConsumerInfo[];
}

/** One export a consumer may receive: `exportSecret(label, context, length)`. */
export interface ExportGrantInfo {
  /** The exporter label. */
  readonly label: string;
  /** The exporter context (default: empty). */
  readonly context?: string | Uint8Array;
  /** The secret's length in bytes, 1 to 1024 (default 32). */
  readonly length?: number;
}

/**
 * A consumer of the key export service: a non-member (a media server, a
 * recorder) that receives this group's exports sealed to `hpkePublicKey`
 * and authenticates to the service with `signaturePublicKey` (both of the
 * group's cipher suite).
 */
export interface ExportConsumerInfo {
  /** The consumer's id, unique in the group. */
  readonly id: string;
  /** Its HPKE public key (the suite's KEM). */
  readonly hpkePublicKey: Uint8Array;
  /** Its signature public key (the suite's scheme). */
  readonly signaturePublicKey: Uint8Array;
  /** What it may receive. */
  readonly exports: readonly ExportGrantInfo[];
  /** No exports for epochs reached after this time (default: never). */
  readonly expires?: Date;
}

/** One member of a group, as a group view sees it. */
export interface Member {
  /** The member's client id (hex signature public key). */
  readonly clientId: string;
  /** The member's credential. */
  readonly credential: CredentialInfo;
  /** The member's leaf index in the ratchet tree. */
  readonly leafIndex: number;
}

/** A group's state as seen by one member. */
export interface GroupDetails {
  /** `"groupDetails"` */
  readonly type: "groupDetails";
  /** Group id, hex. */
  readonly groupId: string;
  /** The epoch. */
  readonly epoch: bigint;
  /** The cipher suite. */
  readonly cipherSuite: number;
  /** The members, by leaf index. */
  readonly members: Member[];
  /**
   * The epoch authenticator (RFC 9420 §8.7): equal for members whose views
   * of this epoch agree, to compare out of band (or as a short code:
   * `GroupView.safetyNumber()`). Not a key: it may be shown and compared,
   * and learning it does not reveal the epoch's other secrets.
   */
  readonly epochAuthenticator: Uint8Array;
  /**
   * The group context extensions (RFC 9420 §12.1.7): required
   * capabilities, external senders and the application's own, which every
   * member has agreed on by processing the commit that set them.
   */
  readonly extensions: GroupExtensions;
}

/**
 * The result of a commit made by this member. Send `commit` to the group
 * (through the delivery service), `welcome` to the added members. The
 * commit stays pending until it is received back or applied.
 */
export interface CommitOutput {
  /** `"commit"` */
  readonly type: "commit";
  /** The Commit MLSMessage. */
  readonly commit: Uint8Array;
  /** The Welcome MLSMessage, when members were added. */
  readonly welcome?: Uint8Array;
  /** A GroupInfo MLSMessage of the new epoch (for external joins). */
  readonly groupInfo: Uint8Array;
  /** The new epoch's ratchet tree (`optional<Node> ratchet_tree<V>`). */
  readonly ratchetTree: Uint8Array;
  /** The epoch the commit leads to. */
  readonly epoch: bigint;
  /**
   * Received proposals this commit left out because the list would not be
   * valid with them (RFC 9420 §12.4), each with its error; absent when
   * none was.
   */
  readonly dropped?: readonly DroppedProposal[];
}

/** A received proposal a commit left out, and why. */
export interface DroppedProposal {
  /** What it proposed. */
  readonly proposal: ProposalInfo;
  /** The rule it broke in the commit's list (its stable `code`). */
  readonly error: MlsError;
}

/** A proposal made by this member, to send to the group. */
export interface ProposalOutput {
  /** `"proposal"` */
  readonly type: "proposal";
  /** The proposal MLSMessage. */
  readonly proposal: Uint8Array;
  /** Its ProposalRef, hex. */
  readonly ref: string;
}

/** A summary of a proposal, for applications and `authorize` hooks. */
export type ProposalInfo =
  | { readonly kind: "add"; readonly member: Omit<Member, "leafIndex"> }
  | { readonly kind: "remove"; readonly member: Member }
  | { readonly kind: "update"; readonly member: Member }
  | { readonly kind: "psk"; readonly pskId: Uint8Array }
  | { readonly kind: "reinit"; readonly cipherSuite: number }
  | { readonly kind: "external_init" }
  | {
    readonly kind: "group_context_extensions";
    /**
     * The extensions it sets (the whole new set): given by `receive()` and
     * to `authorize` hooks.
     */
    readonly extensions?: GroupExtensions;
  };

/** Who sent a message. */
export type SenderInfo =
  | { readonly kind: "member"; readonly member: Member }
  | { readonly kind: "external"; readonly index: number }
  | { readonly kind: "new_member"; readonly credential?: CredentialInfo };

/** Application data from a member. */
export interface ApplicationReceived {
  /** `"application"` */
  readonly type: "application";
  /** The application data, as the sender gave it. */
  readonly content: Uint8Array;
  /** The data as UTF-8 text (throws `invalid_value` if it is not). */
  text(): string;
  /** The sending member. */
  readonly sender: Member;
  /** The epoch it was sent in. */
  readonly epoch: bigint;
}

/** A proposal from someone else, now pending in the group view. */
export interface ProposalReceived {
  /** `"proposal"` */
  readonly type: "proposal";
  /** What it proposes. */
  readonly proposal: ProposalInfo;
  /** Who proposed it. */
  readonly sender: SenderInfo;
  /**
   * The pending commit this member made covering it, when the view commits
   * received proposals automatically (the default).
   */
  readonly commitOutput?: CommitOutput;
  /**
   * Why the automatic commit failed, when it did: the proposal stays
   * pending (and `send()` refuses with `proposals_pending`) until
   * `commit()` succeeds or `clearProposals()` drops it.
   */
  readonly commitError?: MlsError;
}

/** A commit that moved the group to a new epoch. */
export interface CommitReceived {
  /** `"commit"` */
  readonly type: "commit";
  /** The new epoch. */
  readonly epoch: bigint;
  /** Members added. */
  readonly added: Member[];
  /** Members removed. */
  readonly removed: Member[];
  /** Members who updated their keys (by proposal or by committing). */
  readonly updated: Member[];
  /** Who committed. */
  readonly sender: SenderInfo;
}

/** This member was removed from the group. */
export interface RemovedReceived {
  /** `"removed"` */
  readonly type: "removed";
  /** The epoch of the commit that removed us. */
  readonly epoch: bigint;
  /** Who removed us. */
  readonly sender: SenderInfo;
}

/** What `receive()` returns: a union on `type`. */
export type Received =
  | ApplicationReceived
  | ProposalReceived
  | CommitReceived
  | RemovedReceived;

/** An application's decision on an incoming proposal or commit. */
export interface AuthorizeRequest {
  /** `"proposal"` or `"commit"`. */
  readonly kind: "proposal" | "commit";
  /** Who sent it. */
  readonly sender: SenderInfo;
  /** The proposals it carries. */
  readonly proposals: ProposalInfo[];
  /** The group, hex id. */
  readonly groupId: string;
}

/**
 * Decides whether an incoming proposal or commit is allowed; returning
 * false rejects it with `MlsError("unauthorized")` and leaves the group
 * unchanged.
 */
export type AuthorizeHook = (
  request: AuthorizeRequest,
) => boolean | Promise<boolean>;

/**
 * A credential to validate (RFC 9420 §5.3.1): where it appears, whose it
 * is, and the credential it replaces, if any.
 */
export interface CredentialRequest {
  /**
   * `"add"` (a key package to add), `"update"` (an Update proposal),
   * `"commit"` (a committer's new leaf), `"external_commit"` (an external
   * joiner's leaf; `previous` is set when it removes a leaf: a resync),
   * `"join"` (each member's leaf, when this client joins),
   * `"external_sender"` (an `external_senders` entry).
   */
  readonly event:
    | "add"
    | "update"
    | "commit"
    | "external_commit"
    | "join"
    | "external_sender";
  /** The group, hex id. */
  readonly groupId: string;
  /** The client id (hex signature key) the credential vouches for. */
  readonly clientId: string;
  /** The credential. */
  readonly credential: CredentialInfo;
  /** The credential it replaces (a member's old one, a resynced leaf's). */
  readonly previous?: CredentialInfo;
}

/**
 * The application's Authentication Service: whether a credential is valid
 * and, when it replaces `previous`, an acceptable successor. Returning
 * false rejects the message (`invalid_credential`, or `invalid_resync` for
 * an external commit removing a leaf) and leaves the group unchanged. It
 * replaces the default, which accepts every new credential and refuses any
 * change of identity (a basic credential's identity bytes, an X.509 chain's
 * first certificate): so by default a member cannot take another's name,
 * and an external commit removes only the joiner's own old leaf.
 */
export type CredentialHook = (
  request: CredentialRequest,
) => boolean | Promise<boolean>;
