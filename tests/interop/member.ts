// The common shape of a group member on either side of the interop tests.
// Everything a member hands to another crosses as MLS wire bytes: an
// MLSMessage (key package, Welcome, Public/PrivateMessage) or an encoded
// ratchet tree (RFC 9420 §12.4.3.3). No object is ever shared.

/** Which implementation a member runs. */
export type Side = "webmls" | "ts-mls";

/** What receiving a message did to a member. */
export type Outcome =
  | { kind: "application"; data: Uint8Array }
  | { kind: "proposal" }
  | { kind: "commit" }
  | { kind: "removed" };

/** A commit as sent: the MLSMessage, the Welcome and the new tree. */
export interface SentCommit {
  /** The commit as an encoded MLSMessage. */
  commit: Uint8Array;
  /** The Welcome as an encoded MLSMessage, when members were added. */
  welcome?: Uint8Array;
  /** The ratchet tree of the new epoch, encoded (`optional<Node> <V>`). */
  tree: Uint8Array;
}

/** What a commit carries besides pending proposals. */
export interface CommitRequest {
  /** Key packages to add, as encoded MLSMessages. */
  add?: Uint8Array[];
  /** Leaves to remove. */
  remove?: number[];
  /** PublicMessage (true) or PrivateMessage (false). */
  public: boolean;
  /** Put the ratchet tree into the Welcome's GroupInfo. */
  treeInWelcome?: boolean;
}

/** A member of a group. */
export interface Member {
  /** Name used in assertion messages. */
  readonly name: string;
  /** Which implementation. */
  readonly side: Side;
  /** This member's leaf index. */
  leafIndex(): number;
  /** The current epoch. */
  epoch(): bigint;
  /** An application message as an encoded MLSMessage (PrivateMessage). */
  send(data: Uint8Array): Promise<Uint8Array>;
  /** Receives an encoded MLSMessage. */
  receive(bytes: Uint8Array): Promise<Outcome>;
  /** Commits the pending proposals plus `req`, and adopts the new epoch. */
  commit(req: CommitRequest): Promise<SentCommit>;
  /** Proposes adding the key package `kp` (an encoded MLSMessage). */
  proposeAdd(kp: Uint8Array, publicMessage: boolean): Promise<Uint8Array>;
  /** Proposes removing `leaf`. */
  proposeRemove(leaf: number, publicMessage: boolean): Promise<Uint8Array>;
  /** MLS-Exporter(label, context, length) of the current epoch (§8.5). */
  exporter(label: string, context: Uint8Array, length: number): Promise<
    Uint8Array
  >;
}

/** A client that published a key package and can join from a Welcome. */
export interface Joiner {
  /** Name used in assertion messages. */
  readonly name: string;
  /** The key package as an encoded MLSMessage. */
  readonly keyPackage: Uint8Array;
  /** Joins from an encoded Welcome MLSMessage, with the tree if given. */
  join(welcome: Uint8Array, tree?: Uint8Array): Promise<Member>;
}
