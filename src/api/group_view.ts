/**
 * `GroupView`: one member's live view of one group, the object the
 * explainer's examples call methods on. Every method either succeeds and
 * persists the new state atomically, or throws an `MlsError` and leaves the
 * stored state as it was. Several views of one member (tabs, processes)
 * take turns through the storage (see `writer_guard.ts`): each call starts
 * from the stored state, and a write that lost to another view's runs again
 * on the state that view stored. After a failed write the view drops what
 * it held in memory and reloads the stored state at its next call, so a
 * message that failed for a storage outage is processed once it is over.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { mlsMessageCodec as mlsCodec } from "../framing/mls_message.ts";
import { MlsError } from "../errors.ts";
import { WireFormat } from "../framing/wire_format.ts";
import {
  type CommitOptions,
  createCommit,
  type CreatedCommit,
  groupInfoMessage,
  pendingProposals,
  welcomeMessage,
} from "../group/commit.ts";
import { groupInfoFor } from "../group/group_info.ts";
import {
  clearProposals,
  propose,
  proposeUpdate,
  sendApplication,
} from "../group/propose.ts";
import type { Authorize } from "../group/receive.ts";
import { receiveMessage } from "../group/receive.ts";
import type { GroupState, GroupStatus } from "../group/state.ts";
import type { PskLookup } from "../group/psks.ts";
import type { ValidationOptions } from "../group/validation/context.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { mlsExporter } from "../schedule/exporter.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
} from "../../providers/provider.ts";
import { bytesEqual, toHex, utf8Decode, utf8Encode } from "../util/bytes.ts";
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  checkString,
  checkStringOrBytes,
  invalid,
  optional,
} from "./args.ts";
import { commitReceived, diffSummary, leafSummary } from "./commit_report.ts";
import { memberAt, membersOf, proposalInfo, senderInfo } from "./convert.ts";
import {
  byIdentity,
  identityBytes,
  leavesOf,
  type MemberByIdentity,
  type MemberRef,
  withIdentity,
} from "./member_ref.ts";
import {
  decodeMessage,
  messageBytes,
  type MessageInput,
} from "./message_input.ts";
import { deserializeWhole, loadState, serializeWhole } from "./persist.ts";
import {
  groupKey,
  headKey,
  pendingKey,
  type PendingRecord,
  pendingRecord,
} from "./records.ts";
import { ViewStore } from "./view_store.ts";
import {
  backoff,
  MAX_ATTEMPTS,
  sameToken,
  withWriterLock,
} from "./writer_guard.ts";
import { storageError } from "./storage/guarded.ts";
import { retireState } from "./retire.ts";
import { checkHandshakeWireFormat } from "./settings_check.ts";
import {
  getBytes,
  type Storage,
  type StorageWrite,
} from "./storage/storage.ts";
import type {
  AuthorizeHook,
  CommitOutput,
  GroupDetails,
  Identity,
  KeyPackageOutput,
  Member,
  ProposalOutput,
  Received,
} from "./types.ts";

/** What a view needs from its `MLS` instance. */
export interface ViewEnvironment {
  /** Where states live. */
  storage: Storage;
  /** Crypto. */
  provider: CryptoProvider;
  /** The application's policy for incoming proposals and commits. */
  authorize?: AuthorizeHook;
  /** Commit received proposals right away (default true). */
  autoCommit: boolean;
  /** External PSKs. */
  psks?: PskLookup;
  /** See `MLSOptions.ratchetRecordLimit`. */
  ratchetRecordLimit: number;
  /** See `MLSOptions.maxLifetime` and `MLSOptions.validateCredential`. */
  validation: ValidationOptions;
  /** Called when a view's state is deleted, so caches drop it. */
  forget?: (groupId: string, clientId: string) => void;
}

/** A key package given as bytes or as the output of `generateKeyPackage`. */
export type KeyPackageInput = Uint8Array | KeyPackageOutput;

interface Pending {
  record: PendingRecord;
  state: GroupState;
}

/** One member's view of one group. */
export class GroupView {
  /** The group id, hex. */
  readonly groupId: string;
  /** This member's client id. */
  readonly clientId: string;
  #env: ViewEnvironment;
  #signer: SignaturePrivateKey;
  #state: GroupState;
  #pending: Pending | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #deleted = false;
  /**
   * A write failed: what the view holds in memory was dropped (it may be
   * ahead of the storage), and the next call reloads the stored state.
   */
  #stale = false;
  /** Where the state is stored. */
  #store: ViewStore;

  /** @internal Use `MLS.groupCreate`, `groupJoin` or `groupGet`. */
  constructor(
    env: ViewEnvironment,
    clientId: string,
    signer: SignaturePrivateKey,
    state: GroupState,
    pending: Pending | undefined,
    store: ViewStore,
  ) {
    this.#env = env;
    this.clientId = clientId;
    this.#signer = signer;
    this.#state = state;
    this.#pending = pending;
    this.#store = store;
    this.groupId = toHex(state.context.groupId);
  }

  /**
   * @internal Loads a stored view, or `null`: reads the head before and
   * after the records, and again while another view wrote in between.
   */
  static async load(
    env: ViewEnvironment,
    groupId: string,
    clientId: string,
    signer: SignaturePrivateKey,
  ): Promise<GroupView | null> {
    const head = headKey(groupId, clientId);
    for (let attempt = 1;; attempt++) {
      const token = await getBytes(env.storage, head);
      let view: GroupView | null;
      try {
        view = await GroupView.#read(env, groupId, clientId, signer, token);
      } catch (e) {
        if (sameToken(token, await getBytes(env.storage, head))) throw e;
        if (attempt >= MAX_ATTEMPTS) throw e;
        continue;
      }
      if (sameToken(token, await getBytes(env.storage, head))) return view;
      if (view) view.#retire();
      if (attempt >= MAX_ATTEMPTS) {
        throw new MlsError(
          "storage_conflict",
          "other views of this member kept writing while the state was read",
        );
      }
      await backoff(attempt);
    }
  }

  /** Reads the stored records of a view (see {@link GroupView.load}). */
  static async #read(
    env: ViewEnvironment,
    groupId: string,
    clientId: string,
    signer: SignaturePrivateKey,
    token: Uint8Array | undefined,
  ): Promise<GroupView | null> {
    const loaded = await loadState(
      env.storage,
      env.provider,
      groupKey(groupId, clientId),
      groupId,
      clientId,
      signer,
    );
    if (!loaded) return null;
    const { state, deltas } = loaded;
    let pending: Pending | undefined;
    const p = await getBytes(env.storage, pendingKey(groupId, clientId));
    if (p) {
      const record = pendingRecord.decode(p);
      pending = {
        record,
        state: await deserializeWhole(record.state, env.provider, signer),
      };
    }
    const store = new ViewStore(
      env.storage,
      groupId,
      clientId,
      env.ratchetRecordLimit,
      deltas,
      token,
    );
    return new GroupView(env, clientId, signer, state, pending, store);
  }

  /**
   * @internal Persists a fresh state (create, join) and returns its view:
   * `group_exists` if a state of the group is stored meanwhile. With
   * `replace` (an external join that resyncs), over the stored state.
   */
  static async store(
    env: ViewEnvironment,
    clientId: string,
    signer: SignaturePrivateKey,
    state: GroupState,
    extra: StorageWrite[] = [],
    replace = false,
  ): Promise<GroupView> {
    const store = await ViewStore.open(
      env.storage,
      toHex(state.context.groupId),
      clientId,
      env.ratchetRecordLimit,
      replace,
    );
    const w = store.fullWrites(state);
    try {
      await store.batch([...w.writes, { key: store.keys.pending }, ...extra]);
    } catch (e) {
      if (!replace && e instanceof MlsError && e.code === "storage_conflict") {
        throw new MlsError(
          "group_exists",
          "this client already has this group",
          undefined,
          { cause: e },
        );
      }
      throw e;
    }
    w.stored();
    return new GroupView(env, clientId, signer, state, undefined, store);
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
    return withIdentity(this.members, identityBytes(identity, "identity"));
  }

  /**
   * Group id, epoch, suite and members. Synchronous, so both
   * `await group.details()` and `group.details().members` work.
   */
  details(): GroupDetails {
    return {
      type: "groupDetails",
      groupId: this.groupId,
      epoch: this.epoch,
      cipherSuite: this.cipherSuite,
      members: this.members,
    };
  }

  /**
   * Operations on one view run one at a time, in call order; those of all
   * views of this member in this group take turns where Web Locks exist.
   */
  #exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() =>
      withWriterLock(this.groupId, this.clientId, () => this.#attempts(f))
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Runs `f` on the stored state: reloaded first if another view wrote
   * since (or a write of ours failed), and again, on the state stored
   * then, if `f`'s write lost to another view's (or `f` failed on a state
   * another view replaced meanwhile); `storage_conflict` after
   * {@link MAX_ATTEMPTS} attempts.
   */
  async #attempts<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      if (this.#deleted) {
        throw new MlsError("group_deleted", "this group's state was deleted");
      }
      await this.#refresh();
      try {
        return await f();
      } catch (e) {
        if (!(await this.#lostToAnotherView(e))) throw e;
        if (attempt >= MAX_ATTEMPTS) {
          throw new MlsError(
            "storage_conflict",
            `other views of this member kept writing first (${attempt} attempts)`,
            undefined,
            { cause: e },
          );
        }
        await backoff(attempt);
      }
    }
  }

  /** Whether `f` failed because another view wrote: run it again. */
  async #lostToAnotherView(e: unknown): Promise<boolean> {
    if (!(e instanceof MlsError) || this.#deleted) return false;
    // Our conditional write found another view's token.
    if (e.code === "storage_conflict") return this.#stale;
    if (this.#stale || e.code.startsWith("storage_")) return false;
    // A protocol error from a state another view replaced meanwhile?
    try {
      return !(await this.#store.isCurrent());
    } catch {
      return false;
    }
  }

  /** Reloads the stored state if another view wrote, or ours failed. */
  async #refresh(): Promise<void> {
    if (!this.#stale && await this.#store.isCurrent()) return;
    await this.#reload();
  }

  /**
   * @internal Brings the view up to date with the stored state (another
   * tab stored a new one), in turn with its calls; a failure is left for
   * the next call to report.
   */
  refresh(): void {
    this.#exclusive(() => Promise.resolve()).catch(() => {});
  }

  /**
   * Writes, then (once stored) does the bookkeeping of `stored` and swaps.
   * On a failure (another view's write won, or the storage failed) nothing
   * of `next` is kept, and the view drops its state: the next call reloads
   * the stored one (which has none of the ratchet steps taken in memory).
   */
  async #persist(
    writes: StorageWrite[],
    next: GroupState,
    pending: Pending | undefined,
    stored?: () => void,
  ): Promise<void> {
    try {
      await this.#store.batch(writes);
    } catch (e) {
      this.#drop(next, pending?.state);
      throw storageError(e, "batch");
    }
    stored?.();
    const old = this.#state;
    this.#state = next;
    if (old !== next) retireState(old, next);
    this.#pending = pending;
  }

  /** {@link #reload} for a stale view; storage failures as `MlsError`. */
  async #reloadOrThrow(): Promise<void> {
    try {
      await this.#reload();
    } catch (e) {
      throw e instanceof MlsError ? e : new MlsError(
        "storage_failure",
        "could not reload the group state",
        undefined,
        { cause: e },
      );
    }
  }

  /**
   * Marks the view stale and wipes its states and `extra` ones: they may
   * hold ratchet steps the storage does not (see {@link GroupView.#persist}).
   * The public parts (epoch, members) stay readable until the reload.
   */
  #drop(...extra: Array<GroupState | undefined>): void {
    this.#stale = true;
    const states = new Set([this.#state, this.#pending?.state, ...extra]);
    for (const s of states) if (s) retireState(s);
  }

  /** Wipes the states of a view that is not used (a torn load). */
  #retire(): void {
    if (this.#pending) retireState(this.#pending.state, this.#state);
    retireState(this.#state);
  }

  /**
   * Replaces the in-memory state with the stored one and wipes the
   * replaced states, which share nothing with what is loaded. If nothing
   * is stored any more (another view deleted it), the view is deleted too:
   * `group_deleted`. If the storage fails, the view stays as it was
   * (stale if it was), and the error goes up.
   */
  async #reload(): Promise<void> {
    const fresh = await GroupView.load(
      this.#env,
      this.groupId,
      this.clientId,
      this.#signer,
    );
    if (!fresh) {
      this.#forget();
      throw new MlsError("group_deleted", "this group's state was deleted");
    }
    if (!this.#stale) this.#retire();
    this.#state = fresh.#state;
    this.#pending = fresh.#pending;
    this.#store = fresh.#store;
    this.#stale = false;
  }

  /** The state is gone: wipe it and make the view unusable. */
  #forget(): void {
    if (!this.#stale) this.#retire();
    this.#deleted = true;
    this.#env.forget?.(this.groupId, this.clientId);
  }

  /** Persists only the ratchets (after sending or receiving data). */
  #saveRatchets(): Promise<void> {
    const w = this.#store.ratchetWrites(this.#state);
    return this.#persist(w.writes, this.#state, this.#pending, w.stored);
  }

  // What this member checks of what it sends: the lifetimes of key
  // packages at the current time too (RFC 9420 §7.3).
  #sendChecks(): ValidationOptions {
    return { ...this.#env.validation, now: new Date() };
  }

  #output(c: CreatedCommit, base: GroupState): CommitOutput {
    const dropped = c.dropped.map((d) => ({
      proposal: proposalInfo(base.tree, d.proposal.proposal, d.proposal.sender),
      error: d.error,
    }));
    return {
      type: "commit",
      commit: encode(mlsCodec, c.message),
      welcome: c.welcome
        ? encode(mlsCodec, welcomeMessage(c.welcome))
        : undefined,
      groupInfo: encode(mlsCodec, groupInfoMessage(c.groupInfo)),
      ratchetTree: encode(ratchetTreeCodec, c.state.tree.toNodes()),
      epoch: c.state.context.epoch,
      ...(dropped.length > 0 ? { dropped } : {}),
    };
  }

  async #commit(options: CommitOptions): Promise<CommitOutput> {
    if (this.#pending) {
      throw new MlsError(
        "commit_pending",
        "a commit is pending: receive it back, applyPendingCommit() or clearPendingCommit()",
      );
    }
    const c = await createCommit(this.#state, {
      ...options,
      psks: this.#env.psks,
      ...this.#sendChecks(),
    });
    return await this.#holdPending(this.#state, c);
  }

  async #holdPending(
    base: GroupState,
    c: CreatedCommit,
  ): Promise<CommitOutput> {
    const out = this.#output(c, base);
    const record: PendingRecord = {
      epoch: base.context.epoch,
      commit: out.commit,
      welcome: out.welcome,
      groupInfo: out.groupInfo,
      state: serializeWhole(c.state, this.clientId),
      summary: leafSummary(c.summary),
    };
    // The commit consumed a handshake key of the current epoch: save the
    // ratchets with the pending record.
    const w = base === this.#state
      ? this.#store.ratchetWrites(base)
      : this.#store.fullWrites(base);
    await this.#persist(
      [...w.writes, {
        key: this.#store.keys.pending,
        value: pendingRecord.encode(record),
      }],
      base,
      { record, state: c.state },
      w.stored,
    );
    return out;
  }

  #keyPackage(input: KeyPackageInput, field: string): Proposal {
    const bytes = input instanceof Uint8Array
      ? input
      : (input as { type?: unknown } | null)?.type === "keyPackage"
      ? input.bytes
      : invalid(field, "KeyPackage bytes or a KeyPackageOutput", input);
    const msg = decodeMessage(bytes, field, [WireFormat.mlsKeyPackage]);
    return { proposalType: ProposalType.add, keyPackage: msg.keyPackage };
  }

  /** Adds one or more members in one commit (their key packages). */
  add(keyPackages: KeyPackageInput | KeyPackageInput[]): Promise<CommitOutput> {
    return this.#exclusive(() => {
      const many = Array.isArray(keyPackages);
      const list = many ? keyPackages : [keyPackages];
      if (list.length === 0) invalid("keyPackages", "non-empty", list);
      return this.#commit({
        proposals: list.map((k, i) =>
          this.#keyPackage(k, many ? `keyPackages.${i}` : "keyPackages")
        ),
      });
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
    return this.#exclusive(() => {
      const many = Array.isArray(members);
      const list: unknown[] = many ? members : [members];
      if (list.length === 0) invalid("members", "non-empty", list);
      const me = this.#state.priv.leafIndex;
      const leaves = new Set<number>();
      list.forEach((m, i) => {
        const field = many ? `members.${i}` : "members";
        let found = leavesOf(this.members, m, field);
        if (byIdentity(m)) {
          found = found.filter((l) => l !== me);
          if (found.length === 0) {
            throw new MlsError(
              "remove_committer",
              "only this member has this identity, and a commit cannot remove its committer (RFC 9420 §12.2)",
              `${field}.identity`,
            );
          }
        }
        for (const l of found) leaves.add(l);
      });
      return this.#commit({
        proposals: [...leaves].map((removed) => ({
          proposalType: ProposalType.remove,
          removed,
        })),
      });
    });
  }

  /** A self-update: fresh keys on this member's path (post-compromise security). */
  update(): Promise<CommitOutput> {
    return this.#exclusive(() => this.#commit({ path: true }));
  }

  /** Commits the proposals received this epoch. */
  commit(): Promise<CommitOutput> {
    return this.#exclusive(() => this.#commit({}));
  }

  /** Removes every other member. */
  close(): Promise<CommitOutput> {
    return this.#exclusive(() =>
      this.#commit({
        proposals: this.members
          .filter((m) => m.clientId !== this.clientId)
          .map((m) => ({
            proposalType: ProposalType.remove,
            removed: m.leafIndex,
          })),
      })
    );
  }

  async #propose(
    make: (s: GroupState) => ReturnType<typeof propose>,
  ): Promise<ProposalOutput> {
    const sent = await make(this.#state);
    const w = this.#store.fullWrites(sent.state);
    await this.#persist(w.writes, sent.state, this.#pending, w.stored);
    return {
      type: "proposal",
      proposal: encode(mlsCodec, sent.message),
      ref: toHex(sent.ref),
    };
  }

  /** Proposes adding a member. */
  proposeAdd(keyPackage: KeyPackageInput): Promise<ProposalOutput> {
    return this.#exclusive(() =>
      this.#propose((s) =>
        propose(
          s,
          this.#keyPackage(keyPackage, "keyPackage"),
          undefined,
          this.#sendChecks(),
        )
      )
    );
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
    return this.#exclusive(async () => {
      const leaves = leavesOf(this.members, member, "member");
      const out = await this.#proposeAll(leaves.map((removed) => ({
        proposalType: ProposalType.remove,
        removed,
      })));
      return byIdentity(member) ? out : out[0];
    });
  }

  /** Makes several proposals and stores them at once. */
  async #proposeAll(proposals: Proposal[]): Promise<ProposalOutput[]> {
    let state = this.#state;
    const out: ProposalOutput[] = [];
    for (const p of proposals) {
      const sent = await propose(state, p);
      state = sent.state;
      out.push({
        type: "proposal",
        proposal: encode(mlsCodec, sent.message),
        ref: toHex(sent.ref),
      });
    }
    const w = this.#store.fullWrites(state);
    await this.#persist(w.writes, state, this.#pending, w.stored);
    return out;
  }

  /** Proposes an update of this member's leaf. */
  proposeUpdate(): Promise<ProposalOutput> {
    return this.#exclusive(() => this.#propose((s) => proposeUpdate(s)));
  }

  /**
   * Drops every proposal of this epoch, received or our own, and returns
   * how many there were: for a member that will not commit them (say an
   * automatic commit failed, see `ProposalReceived.commitError`), so that
   * `send()` works again. A commit that references a dropped proposal is
   * then refused with `unknown_proposal`.
   */
  clearProposals(): Promise<number> {
    return this.#exclusive(async () => {
      const n = this.#state.proposals.size;
      if (n === 0) return 0;
      const next = clearProposals(this.#state);
      const w = this.#store.fullWrites(next);
      await this.#persist(w.writes, next, this.#pending, w.stored);
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
   */
  send(message: string | Uint8Array): Promise<Uint8Array> {
    return this.#exclusive(async () => {
      const m = checkStringOrBytes(message, "message");
      const data = typeof m === "string" ? utf8Encode(m) : m;
      if (this.#state.proposals.size > 0 && !this.#pending) {
        throw new MlsError(
          "proposals_pending",
          "commit this epoch's proposals before sending application data",
          "proposals",
        );
      }
      const msg = await sendApplication(this.#state, data);
      // The ratchet step must be stored before the ciphertext leaves, or a
      // restart could reuse the key and nonce.
      await this.#saveRatchets();
      return encode(mlsCodec, msg);
    });
  }

  /** Applies our pending commit (without waiting for it to come back). */
  applyPendingCommit(): Promise<Received> {
    return this.#exclusive(() => this.#applyPending());
  }

  async #applyPending(): Promise<Received> {
    const p = this.#pending;
    if (!p) {
      throw new MlsError("no_pending_commit", "there is no pending commit");
    }
    const prev = this.#state;
    const next = p.state;
    const w = this.#store.fullWrites(next);
    await this.#persist(
      [...w.writes, { key: this.#store.keys.pending }],
      next,
      undefined,
      w.stored,
    );
    const me = memberAt(next.tree, next.priv.leafIndex)!;
    return commitReceived(
      prev.tree,
      next.tree,
      p.record.summary ?? diffSummary(prev.tree, next.tree),
      next.context.epoch,
      { kind: "member", member: me },
    );
  }

  /** Drops our pending commit (the delivery service rejected it). */
  clearPendingCommit(): Promise<void> {
    return this.#exclusive(async () => {
      const p = this.#pending;
      if (!p) return;
      await this.#persist(
        [{ key: this.#store.keys.pending }],
        this.#state,
        undefined,
      );
      retireState(p.state, this.#state);
    });
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
    return this.#exclusive(async () => {
      const wf = checkHandshakeWireFormat(format, "format");
      if (wf === this.#state.config.handshakeWireFormat) return;
      const withFormat = (s: GroupState): GroupState => ({
        ...s,
        config: { ...s.config, handshakeWireFormat: wf },
      });
      const next = withFormat(this.#state);
      const w = this.#store.fullWrites(next);
      const writes = [...w.writes];
      let pending = this.#pending;
      if (pending) {
        // The pending state carries the setting into the next epoch.
        const state = withFormat(pending.state);
        const record = {
          ...pending.record,
          state: serializeWhole(state, this.clientId),
        };
        pending = { record, state };
        writes.push({
          key: this.#store.keys.pending,
          value: pendingRecord.encode(record),
        });
      }
      await this.#persist(writes, next, pending, w.stored);
    });
  }

  #authorize(): Authorize | undefined {
    const hook = this.#env.authorize;
    if (!hook) return undefined;
    return (req) => {
      const tree = this.#state.tree;
      return hook({
        kind: req.kind,
        groupId: this.groupId,
        sender: senderInfo(
          tree,
          req.sender,
          req.senderCredential?.credentialType
            ? req.senderCredential
            : undefined,
        ),
        proposals: req.proposals.map((p) =>
          proposalInfo(tree, p.proposal, p.sender)
        ),
      });
    };
  }

  /**
   * Processes a message from the group: application data, a proposal, a
   * commit (ours coming back applies our pending commit), or our removal.
   */
  receive(message: MessageInput): Promise<Received> {
    return this.#exclusive(() => this.#receive(message));
  }

  async #receive(input: MessageInput): Promise<Received> {
    const bytes = messageBytes(input, "message");
    if (this.#pending && bytesEqual(bytes, this.#pending.record.commit)) {
      return await this.#applyPending();
    }
    // A Welcome, GroupInfo or KeyPackage is `invalid_wire_format`: they go
    // to MLS.groupJoin, MLS.groupJoinExternal and add().
    const msg = decodeMessage(bytes, "message", [
      WireFormat.mlsPublicMessage,
      WireFormat.mlsPrivateMessage,
    ]);
    const before = this.#state;
    const r = await receiveMessage(before, msg, {
      authorize: this.#authorize(),
      psks: this.#env.psks,
      ...this.#env.validation,
    });
    switch (r.kind) {
      case "application": {
        await this.#saveRatchets();
        const sender = memberAt(
          before.context.epoch === r.epoch
            ? before.tree
            : before.past.find((p) => p.context.epoch === r.epoch)!.tree,
          r.sender,
        )!;
        const content = r.data;
        return {
          type: "application",
          content,
          text: () => utf8Decode(content),
          sender,
          epoch: r.epoch,
        };
      }
      case "proposal": {
        const info = proposalInfo(before.tree, r.proposal, r.sender);
        const sender = senderInfo(before.tree, r.sender);
        if (
          this.#env.autoCommit && !this.#pending &&
          r.state.status === "active" && pendingProposals(r.state).length > 0
        ) {
          // Commit it right away (§12.4: proposals must be committed before
          // more application data); the commit stays pending as usual. A
          // failure is reported, and the proposal kept for commit() or
          // clearProposals().
          let commitError: MlsError | undefined;
          const c = await createCommit(r.state, {
            psks: this.#env.psks,
            ...this.#sendChecks(),
          }).catch((e) => {
            commitError = e instanceof MlsError ? e : new MlsError(
              "commit_failed",
              "the automatic commit failed",
              undefined,
              { cause: e },
            );
            return undefined;
          });
          if (c) {
            const commitOutput = await this.#holdPending(r.state, c);
            return { type: "proposal", proposal: info, sender, commitOutput };
          }
          const w = this.#store.fullWrites(r.state);
          await this.#persist(w.writes, r.state, this.#pending, w.stored);
          return { type: "proposal", proposal: info, sender, commitError };
        }
        const w = this.#store.fullWrites(r.state);
        await this.#persist(w.writes, r.state, this.#pending, w.stored);
        return { type: "proposal", proposal: info, sender };
      }
      case "commit": {
        // Another commit for this epoch won: ours is void.
        const lost = this.#pending;
        const w = this.#store.fullWrites(r.state);
        await this.#persist(
          [...w.writes, { key: this.#store.keys.pending }],
          r.state,
          undefined,
          w.stored,
        );
        if (lost) retireState(lost.state, r.state);
        return commitReceived(
          before.tree,
          r.state.tree,
          leafSummary(r.summary),
          r.state.context.epoch,
          senderInfo(r.state.tree, r.sender),
        );
      }
      case "removed": {
        const w = this.#store.fullWrites(r.state);
        await this.#persist(
          [...w.writes, { key: this.#store.keys.pending }],
          r.state,
          undefined,
          w.stored,
        );
        return {
          type: "removed",
          epoch: before.context.epoch + 1n,
          sender: senderInfo(before.tree, r.sender),
        };
      }
    }
  }

  /**
   * MLS-Exporter (RFC 9420 §8.5): a secret for `label` and `context`, equal
   * across members in the same epoch, different across epochs and labels.
   */
  exportSecret(
    label: string,
    context: string | Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return this.#exclusive(() => {
      checkString(label, "label");
      const c = checkStringOrBytes(context, "context");
      // `uint16 length` of KDFLabel (RFC 9420 §8, §8.5).
      checkInteger(length, "length", 0, 0xffff);
      const ctx = typeof c === "string" ? utf8Encode(c) : c;
      return mlsExporter(
        this.#state.cs,
        this.#state.keys.exporterSecret,
        label,
        ctx,
        length,
      );
    });
  }

  /** A signed GroupInfo MLSMessage of the current epoch, for external joins. */
  groupInfo(options: { ratchetTree?: boolean } = {}): Promise<Uint8Array> {
    return this.#exclusive(async () => {
      const o = checkOptions(options);
      const ratchetTree = optional(
        o.ratchetTree,
        "options.ratchetTree",
        checkBoolean,
      );
      const gi = await groupInfoFor(this.#state, { ratchetTree });
      return encode(mlsCodec, groupInfoMessage(gi));
    });
  }

  /** The ratchet tree of the current epoch (`optional<Node> ratchet_tree<V>`). */
  ratchetTree(): Uint8Array {
    return encode(ratchetTreeCodec, this.#state.tree.toNodes());
  }

  /**
   * Deletes this member's state of the group; the view becomes unusable.
   * The state goes in one batch with the first delta records; if there are
   * more (beyond a batch's key limit), they follow in further batches, and
   * any left by a failure there are obsolete for a later state of the group.
   */
  deleteState(): Promise<void> {
    return this.#exclusive(() => this.#store.deleteAll(() => this.#forget()));
  }
}
