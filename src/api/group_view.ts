/**
 * `GroupView`: one member's live view of one group, the object the
 * explainer's examples call methods on. Each method checks its arguments,
 * computes the next state with the group layer, and hands it to the
 * view's {@link ViewState} (`view_state.ts`), which persists it atomically
 * and only then swaps it in; or it throws an `MlsError` and the stored
 * state stays as it was. Calls run one at a time, taking turns with the
 * other views of the member (tabs, processes) through `writer_guard.ts`.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { groupInfoMessage } from "../group/commit.ts";
import { groupInfoFor } from "../group/group_info.ts";
import { clearProposals, propose, proposeUpdate } from "../group/propose.ts";
import type { GroupState, GroupStatus } from "../group/state.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { mlsExporter } from "../schedule/exporter.ts";
import type { SignaturePrivateKey } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  checkString,
  checkTextOrBytes,
  oneOrMany,
  optional,
} from "./args.ts";
import { membersOf } from "./convert.ts";
import {
  byIdentity,
  leavesOf,
  leavesToRemove,
  type MemberByIdentity,
  type MemberRef,
  withIdentity,
} from "./member_ref.ts";
import type { MessageInput } from "./message_input.ts";
import { commitOwn, proposeOwn, sendOwn } from "./own_messages.ts";
import { type PendingCommit, withPendingState } from "./pending_commit.ts";
import {
  addProposal,
  type KeyPackageInput,
  removeProposal,
} from "./proposal_input.ts";
import { applyOwnCommit, receiveInto } from "./receive_flow.ts";
import { extensionsProposal, groupExtensionsOf } from "./group_extensions.ts";
import { safetyNumberOf } from "./safety_number.ts";
import { checkHandshakeWireFormat } from "./settings_check.ts";
import type { StorageWrite } from "./storage/storage.ts";
import { loadViewParts, storeNewState } from "./stored_view.ts";
import type {
  CommitOutput,
  GroupDetails,
  GroupExtensions,
  Identity,
  Member,
  ProposalOutput,
  Received,
} from "./types.ts";
import { sendChecks, type ViewEnvironment } from "./view_environment.ts";
import { ViewState } from "./view_state.ts";
import type { ViewStore } from "./view_store.ts";
import { WriterTurns } from "./writer_guard.ts";

export type { KeyPackageInput } from "./proposal_input.ts";

/** One member's view of one group. */
export class GroupView {
  /** The group id, hex. */
  readonly groupId: string;
  /** This member's client id. */
  readonly clientId: string;
  #env: ViewEnvironment;
  #viewState: ViewState;
  #turns: WriterTurns;

  /** @internal Use `MLS.groupCreate`, `groupJoin` or `groupGet`. */
  constructor(
    env: ViewEnvironment,
    clientId: string,
    signer: SignaturePrivateKey,
    state: GroupState,
    pending: PendingCommit | undefined,
    store: ViewStore,
  ) {
    this.#env = env;
    this.clientId = clientId;
    this.groupId = toHex(state.context.groupId);
    const parts = { state, pending, store };
    this.#viewState = new ViewState(env, this.groupId, clientId, signer, parts);
    this.#turns = new WriterTurns(this.groupId, clientId, this.#viewState);
  }

  /** @internal The stored view, or `null` (see `stored_view.ts`). */
  static async load(
    env: ViewEnvironment,
    groupId: string,
    clientId: string,
    signer: SignaturePrivateKey,
  ): Promise<GroupView | null> {
    const p = await loadViewParts(env, groupId, clientId, signer);
    return p &&
      new GroupView(env, clientId, signer, p.state, p.pending, p.store);
  }

  /** @internal Stores a fresh state (see `storeNewState`); its view. */
  static async store(
    env: ViewEnvironment,
    clientId: string,
    signer: SignaturePrivateKey,
    state: GroupState,
    extra: StorageWrite[] = [],
    replace = false,
  ): Promise<GroupView> {
    const store = await storeNewState(env, clientId, state, extra, replace);
    return new GroupView(env, clientId, signer, state, undefined, store);
  }

  /** The current state (swapped by {@link ViewState}). */
  get #state(): GroupState {
    return this.#viewState.state;
  }

  /** Our pending commit. */
  get #pending(): PendingCommit | undefined {
    return this.#viewState.pending;
  }

  /** The current epoch. */
  get epoch(): bigint {
    return this.#state.context.epoch;
  }

  /** The cipher suite. */
  get cipherSuite(): number {
    return this.#state.context.cipherSuite;
  }

  /** The members, by leaf index. */
  get members(): Member[] {
    return membersOf(this.#state.tree);
  }

  /** `"active"`, `"removed"` (a commit removed us) or `"reinit"`. */
  get status(): GroupStatus {
    return this.#state.status;
  }

  /** Whether a commit of ours awaits confirmation. */
  get hasPendingCommit(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * How this member frames its proposals and commits: `"private"`
   * (PrivateMessage) or `"public"` (PublicMessage, which a delivery
   * service can read). See {@link GroupView.setHandshakeWireFormat}.
   */
  get handshakeWireFormat(): "private" | "public" {
    return this.#state.config.handshakeWireFormat;
  }

  /**
   * The members whose basic credential has `identity` (a string, compared
   * as UTF-8, or the identity bytes), by leaf index: several when one user
   * has several devices in the group, none when nobody has it. Members
   * with X.509 credentials are never matched.
   *
   * @example Finding Bob's devices
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * console.log(group.membersByIdentity("alice").length); // 1
   * console.log(group.membersByIdentity("bob").length); // 0
   * ```
   */
  membersByIdentity(identity: string | Uint8Array): Member[] {
    return withIdentity(this.members, checkTextOrBytes(identity, "identity"));
  }

  /**
   * Group id, epoch, suite and members. Synchronous, so both
   * `await group.details()` and `group.details().members` work.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const { epoch, members } = group.details();
   * console.log(epoch, members[0].clientId === alice.clientId); // 0n true
   * ```
   */
  details(): GroupDetails {
    return {
      type: "groupDetails",
      groupId: this.groupId,
      epoch: this.epoch,
      cipherSuite: this.cipherSuite,
      members: this.members,
      epochAuthenticator: this.#state.keys.epochAuthenticator.slice(),
      extensions: groupExtensionsOf(this.#state.context.extensions),
    };
  }

  /**
   * The safety number of the current epoch: six groups of five digits that
   * members compare out of band to confirm they share the epoch (RFC 9420
   * §8.7), derived from the epoch authenticator and the group id
   * (`safety_number.ts` documents the derivation). It changes every epoch.
   *
   * @example Alice and Bob read their numbers to each other
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * console.log(await group.safetyNumber()); // e.g. "04721 99310 …" (6 groups)
   * ```
   */
  safetyNumber(): Promise<string> {
    return this.#turns.run(() => safetyNumberOf(this.#state));
  }

  /**
   * @internal Brings the view up to date with the stored state (another
   * tab stored a new one), in turn with its calls; a failure is left for
   * the next call to report.
   */
  refresh(): void {
    this.#turns.run(() => Promise.resolve()).catch(() => {});
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
      const list = oneOrMany(keyPackages, "keyPackages");
      const proposals = list.map((k) => addProposal(k.value, k.field));
      return commitOwn(this.#viewState, this.#env, { proposals });
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
      const me = this.#state.priv.leafIndex;
      const leaves = leavesToRemove(this.members, refs, me);
      return commitOwn(this.#viewState, this.#env, {
        proposals: leaves.map(removeProposal),
      });
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
      commitOwn(this.#viewState, this.#env, { path: true })
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
    return this.#turns.run(() => commitOwn(this.#viewState, this.#env, {}));
  }

  /**
   * Replaces the group context extensions by commit (a
   * GroupContextExtensions proposal, RFC 9420 §12.1.7): `extensions` is
   * the whole new set (see {@link GroupExtensions}). Every member must
   * support each extension type and the required capabilities
   * (`unsupported_capabilities` otherwise); members see the new set in
   * `details().extensions` once they process the commit.
   *
   * @example Naming the group (an application extension all members support)
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"), {
   *   capabilities: { extensions: [0xff00] },
   * });
   * const name = { extensionType: 0xff00, extensionData: new TextEncoder().encode("Team") };
   * await group.receive(await group.setExtensions({ application: [name] }));
   * console.log(group.details().extensions.application?.length); // 1
   * ```
   */
  setExtensions(extensions: GroupExtensions): Promise<CommitOutput> {
    return this.#turns.run(() =>
      commitOwn(this.#viewState, this.#env, {
        proposals: [extensionsProposal(extensions, "extensions")],
      })
    );
  }

  /**
   * Proposes new group context extensions (RFC 9420 §12.1.7) for a member
   * to commit; as {@link GroupView.setExtensions}.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({ autoCommit: false });
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.proposeExtensions({ requiredCapabilities: { credentials: [1] } });
   * await group.receive(await group.commit());
   * ```
   */
  proposeExtensions(extensions: GroupExtensions): Promise<ProposalOutput> {
    return this.#turns.run(async () => {
      const p = extensionsProposal(extensions, "extensions");
      return (await proposeOwn(this.#viewState, [(s) => propose(s, p)]))[0];
    });
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
    return this.#turns.run(() =>
      commitOwn(this.#viewState, this.#env, {
        proposals: this.members
          .filter((m) => m.clientId !== this.clientId)
          .map((m) => removeProposal(m.leafIndex)),
      })
    );
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
      const checks = sendChecks(this.#env);
      const [out] = await proposeOwn(this.#viewState, [
        (s) => propose(s, add, undefined, checks),
      ]);
      return out;
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
      const out = await proposeOwn(
        this.#viewState,
        leaves.map((leaf) => (s) => propose(s, removeProposal(leaf))),
      );
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
      (await proposeOwn(this.#viewState, [(s) => proposeUpdate(s)]))[0]
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
    return this.#turns.run(async () => {
      const n = this.#state.proposals.size;
      if (n === 0) return 0;
      await this.#viewState.storeState(
        clearProposals(this.#state),
        this.#pending,
      );
      return n;
    });
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
      sendOwn(this.#viewState, checkTextOrBytes(message, "message"))
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
    return this.#turns.run(() => applyOwnCommit(this.#viewState));
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
    return this.#turns.run(() => this.#viewState.clearPending());
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
    return this.#turns.run(async () => {
      const wf = checkHandshakeWireFormat(format, "format");
      if (wf === this.#state.config.handshakeWireFormat) return;
      const withFormat = (s: GroupState): GroupState => ({
        ...s,
        config: { ...s.config, handshakeWireFormat: wf },
      });
      // The pending state carries the setting into the next epoch.
      const p = this.#pending;
      const pending = p &&
        withPendingState(
          p,
          withFormat(p.state),
          this.clientId,
          withFormat(this.#state),
        );
      await this.#viewState.storeState(withFormat(this.#state), pending);
    });
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
    return this.#turns.run(() =>
      receiveInto(this.#viewState, this.#env, message)
    );
  }

  /**
   * MLS-Exporter (RFC 9420 §8.5): a secret for `label` and `context`, equal
   * across members in the same epoch, different across epochs and labels.
   *
   * @example A key for a file shared in this epoch
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const key = await group.exportSecret("file sharing key", "file-42", 32);
   * console.log(key.length); // 32
   * ```
   */
  exportSecret(
    label: string,
    context: string | Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return this.#turns.run(() => {
      checkString(label, "label");
      const ctx = checkTextOrBytes(context, "context");
      // `uint16 length` of KDFLabel (RFC 9420 §8, §8.5).
      checkInteger(length, "length", 0, 0xffff);
      const s = this.#state;
      return mlsExporter(s.cs, s.keys.exporterSecret, label, ctx, length);
    });
  }

  /**
   * A signed GroupInfo MLSMessage of the current epoch, for external joins.
   *
   * @example Publishing a GroupInfo with the ratchet tree in it
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, carol] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const info = await group.groupInfo({ ratchetTree: true });
   * const joined = await mls.groupJoinExternal(carol, await mls.generateCredential("carol"), info);
   * await group.receive(joined.commit);
   * ```
   */
  groupInfo(options: { ratchetTree?: boolean } = {}): Promise<Uint8Array> {
    return this.#turns.run(async () => {
      const o = checkOptions(options);
      const ratchetTree = optional(
        o.ratchetTree,
        "options.ratchetTree",
        checkBoolean,
      );
      const gi = await groupInfoFor(this.#state, { ratchetTree });
      return encode(mlsMessageCodec, groupInfoMessage(gi));
    });
  }

  /**
   * The ratchet tree of the current epoch (`optional<Node> ratchet_tree<V>`).
   *
   * @example Joining with the tree given apart from the Welcome
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const added = await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * );
   * await group.receive(added);
   * await mls.groupJoin(bob, added, { ratchetTree: group.ratchetTree() });
   * ```
   */
  ratchetTree(): Uint8Array {
    return encode(ratchetTreeCodec, this.#state.tree.toNodes());
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
    return this.#turns.run(() => this.#viewState.deleteAll());
  }
}
