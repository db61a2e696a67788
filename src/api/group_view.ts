/**
 * `GroupView`, the object the explainer's examples call methods on: each
 * call computes the next state with the group layer; `view_state.ts`
 * stores it atomically, then swaps it in (on an `MlsError` nothing stored
 * changed); calls take turns with other views through `writer_guard.ts`.
 *
 * @module
 */

import { proposeUpdate } from "../group/propose.ts";
import { ownLeaf } from "../group/state.ts";
import { checkTextOrBytes, oneOrMany } from "./args.ts";
import { GroupAdmin } from "./group_admin.ts";
import {
  byIdentity,
  leavesOf,
  leavesToRemove,
  type MemberByIdentity,
  type MemberRef,
  otherLeaves,
} from "./member_ref.ts";
import type { MessageInput } from "./message_input.ts";
import { commitOwn, proposeEach, proposeOwn, sendOwn } from "./own_messages.ts";
import { clearEpochProposals } from "./proposal_clearing.ts";
import {
  addProposal,
  addProposals,
  type KeyPackageInput,
  removeProposal,
} from "./proposal_input.ts";
import { applyOwnCommit, receiveInto } from "./receive_flow.ts";
import type {
  CommitOutput,
  Identity,
  Member,
  ProposalOutput,
  Received,
} from "./types.ts";
import { sendChecks, type ViewEnvironment } from "./view_environment.ts";
import type { ViewState } from "./view_state.ts";
import { storeHandshakeWireFormat } from "./wire_format_setting.ts";
import { WriterTurns } from "./writer_guard.ts";

export type { KeyPackageInput } from "./proposal_input.ts";

/** One member's view of one group: {@link GroupAdmin}, and changes. */
export class GroupView extends GroupAdmin {
  #env: ViewEnvironment;
  #live: ViewState;
  #turns: WriterTurns;

  /** @internal Use `MLS.groupCreate`, `groupJoin` or `groupGet`. */
  constructor(env: ViewEnvironment, live: ViewState) {
    const turns = new WriterTurns(live.groupId, live.clientId, live);
    super(env, live, turns);
    this.#env = env;
    this.#live = live;
    this.#turns = turns;
  }

  /**
   * Adds one or more members in one commit (their key packages).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const added = await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * );
   * await group.receive(added); // back from the delivery service
   * const bobGroup = await mls.groupJoin(bob, added); // its Welcome
   * ```
   */
  add(keyPackages: KeyPackageInput | KeyPackageInput[]): Promise<CommitOutput> {
    return this.#turns.run(() => {
      const proposals = addProposals(keyPackages, "keyPackages");
      return commitOwn(this.#live, this.#env, { proposals });
    });
  }

  /**
   * Removes one or more members in one commit. A member is named by client
   * id, `Identity` or `Member`, or by the identity of its credential,
   * `{ identity: "bob" }`, which removes every member with that identity
   * (all of Bob's devices) except this member itself (a commit cannot
   * remove its committer, RFC 9420 §12.2). Naming nobody is
   * `unknown_member`; an identity only this member has is
   * `remove_committer`.
   *
   * @example Removing all of Bob's devices
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * ));
   * const removal = await group.remove({ identity: "bob" });
   * const result = await group.receive(removal);
   * if (result.type === "commit") console.log(result.removed.length); // 1
   * ```
   */
  remove(members: MemberRef | MemberRef[]): Promise<CommitOutput> {
    return this.#turns.run(() => {
      const refs = oneOrMany<unknown>(members, "members");
      const me = ownLeaf(this.#live.state);
      const proposals = leavesToRemove(this.members, refs, me)
        .map(removeProposal);
      return commitOwn(this.#live, this.#env, { proposals });
    });
  }

  /**
   * A self-update: fresh keys on this member's path (post-compromise
   * security).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.update());
   * console.log(group.epoch); // 1n
   * ```
   */
  update(): Promise<CommitOutput> {
    return this.#turns.run(() =>
      commitOwn(this.#live, this.#env, { path: true })
    );
  }

  /**
   * Commits the proposals received this epoch.
   *
   * @example Committing by hand (`new MLS({ autoCommit: false })`)
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({ autoCommit: false });
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.proposeUpdate();
   * const commit = await group.commit();
   * await group.receive(commit);
   * ```
   */
  commit(): Promise<CommitOutput> {
    return this.#turns.run(() => commitOwn(this.#live, this.#env, {}));
  }

  /**
   * Removes every other member.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.close());
   * console.log(group.members.length); // 1
   * ```
   */
  close(): Promise<CommitOutput> {
    return this.#turns.run(() => {
      const me = ownLeaf(this.#live.state);
      const proposals = otherLeaves(this.members, me).map(removeProposal);
      return commitOwn(this.#live, this.#env, { proposals });
    });
  }

  /**
   * Proposes adding a member.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const proposal = await group.proposeAdd(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * );
   * console.log(proposal.type); // "proposal"
   * ```
   */
  proposeAdd(keyPackage: KeyPackageInput): Promise<ProposalOutput> {
    return this.#turns.run(async () => {
      const add = addProposal(keyPackage, "keyPackage");
      return (await proposeEach(this.#live, [add], sendChecks(this.#env)))[0];
    });
  }

  /**
   * Proposes removing the members with a credential identity: one Remove
   * proposal per member that has it (this member's own leaf included: a
   * member may propose its own removal), all stored at once. Naming nobody
   * is `unknown_member`.
   *
   * @example Proposing to remove Bob, on every device
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * ));
   * const proposals = await group.proposeRemove({ identity: "bob" });
   * console.log(proposals.length); // 1
   * ```
   */
  proposeRemove(member: MemberByIdentity): Promise<ProposalOutput[]>;
  /** Proposes removing a member named by client id, `Identity` or `Member`. */
  proposeRemove(member: string | Identity | Member): Promise<ProposalOutput>;
  /** Either of the above: an array exactly when `member` is `{ identity }`. */
  proposeRemove(
    member: MemberRef,
  ): Promise<ProposalOutput | ProposalOutput[]>;
  proposeRemove(
    member: MemberRef,
  ): Promise<ProposalOutput | ProposalOutput[]> {
    return this.#turns.run(async () => {
      const leaves = leavesOf(this.members, member, "member");
      const out = await proposeEach(this.#live, leaves.map(removeProposal));
      return byIdentity(member) ? out : out[0];
    });
  }

  /**
   * Proposes an update of this member's leaf.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({ autoCommit: false });
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const proposal = await group.proposeUpdate(); // send it to the group
   * ```
   */
  proposeUpdate(): Promise<ProposalOutput> {
    return this.#turns.run(async () =>
      (await proposeOwn(this.#live, [(s) => proposeUpdate(s)]))[0]
    );
  }

  /**
   * Drops every proposal of this epoch, received or our own, and returns
   * how many there were: for a member that will not commit them (say an
   * automatic commit failed, see `ProposalReceived.commitError`), so that
   * `send()` works again. A commit that references a dropped proposal is
   * then refused with `unknown_proposal`.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({ autoCommit: false });
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.proposeUpdate();
   * console.log(await group.clearProposals()); // 1
   * ```
   */
  clearProposals(): Promise<number> {
    return this.#turns.run(() => clearEpochProposals(this.#live));
  }

  /**
   * Encrypts application data (a string is sent as UTF-8) as a
   * PrivateMessage. Refused with `proposals_pending` while this epoch has
   * proposals (received or our own) and no commit of ours is pending: a
   * member that has seen proposals MUST commit before sending application
   * data (RFC 9420 §12.4). With `autoCommit` (the default) a received
   * proposal is committed on arrival.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const ciphertext = await group.send("hello"); // to the delivery service
   * ```
   */
  send(message: string | Uint8Array): Promise<Uint8Array> {
    return this.#turns.run(() =>
      sendOwn(this.#live, checkTextOrBytes(message, "message"))
    );
  }

  /**
   * Applies our pending commit (without waiting for it to come back).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.update();
   * const result = await group.applyPendingCommit();
   * console.log(result.type, group.epoch); // "commit" 1n
   * ```
   */
  applyPendingCommit(): Promise<Received> {
    return this.#turns.run(() => applyOwnCommit(this.#live));
  }

  /**
   * Drops our pending commit (the delivery service rejected it).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.update(); // say another commit won this epoch
   * await group.clearPendingCommit();
   * console.log(group.hasPendingCommit); // false
   * ```
   */
  clearPendingCommit(): Promise<void> {
    return this.#turns.run(() => this.#live.clearPending());
  }

  /**
   * Changes how this member frames its proposals and commits from now on:
   * `"public"` (PublicMessage, for a delivery service that must read
   * handshake messages) or `"private"` (PrivateMessage). RFC 9420 §6 lets
   * each member choose; receiving accepts both either way. Stored with the
   * group (atomically: on failure nothing changes). A commit already
   * pending keeps the format it was made in: clear it and commit again.
   *
   * @example A delivery service starts requiring PublicMessage handshakes
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.setHandshakeWireFormat("public");
   * const commit = await group.update(); // a PublicMessage
   * console.log(group.handshakeWireFormat); // "public"
   * ```
   */
  setHandshakeWireFormat(format: "private" | "public"): Promise<void> {
    return this.#turns.run(() => storeHandshakeWireFormat(this.#live, format));
  }

  /**
   * Processes a message from the group: application data, a proposal, a
   * commit (ours coming back applies our pending commit), or our removal.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const added = await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * );
   * await group.receive(added);
   * const bobGroup = await mls.groupJoin(bob, added);
   * const received = await bobGroup.receive(await group.send("hi Bob"));
   * if (received.type === "application") console.log(received.text()); // "hi Bob"
   * ```
   */
  receive(message: MessageInput): Promise<Received> {
    return this.#turns.run(() => receiveInto(this.#live, this.#env, message));
  }

  /**
   * Deletes this member's state of the group; the view becomes unusable.
   * The state goes in one batch with the first delta records; if there are
   * more (beyond a batch's key limit), they follow in further batches, and
   * any left by a failure there are obsolete for a later state of the group.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.deleteState();
   * console.log(await mls.groupGet(group.groupId, alice)); // null
   * ```
   */
  deleteState(): Promise<void> {
    return this.#turns.run(() => this.#live.deleteAll());
  }
}
