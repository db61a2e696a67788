/**
 * `GroupAdmin`: the calls of a `GroupView` that change the group beyond
 * its membership — its context extensions (RFC 9420 §12.1.7), and the
 * rest of the protocol as it is exposed. Each is a thin call into a
 * module of its own; `GroupView` extends this class with the explainer's
 * calls.
 *
 * @module
 */

import { GroupReader } from "./group_reader.ts";
import { extensionsProposal } from "./group_extensions.ts";
import type { CreatedCommit } from "../group/commit.ts";
import { toHex } from "../util/bytes.ts";
import { commitOwn, proposeEach } from "./own_messages.ts";
import type { KeyPackageInput } from "./proposal_input.ts";
import {
  branchOf,
  type BranchOptions,
  type ReinitOptions,
  reinitProposal,
  type ResumedGroup,
  resumedGroup,
} from "./resumption.ts";
import { storeNewState } from "./stored_view.ts";
import { registerView } from "./view_registry.ts";
import { ViewState } from "./view_state.ts";
import { externalPskProposal } from "./psk_store.ts";
import type {
  CommitOutput,
  ExportConsumerInfo,
  GroupExtensions,
  ProposalOutput,
} from "./types.ts";
import {
  checkConsumerKey,
  withConsumer,
  withoutConsumer,
} from "./export_consumers.ts";
import { sealExportsOf } from "./export_seal.ts";
import { ProposalType } from "../messages/proposal.ts";
import type { Extension } from "../messages/extension.ts";
import { sendChecks, type ViewEnvironment } from "./view_environment.ts";
import type { WriterTurns } from "./writer_guard.ts";

/** The protocol's calls beyond membership; see {@link GroupReader}. */
export class GroupAdmin extends GroupReader {
  #env: ViewEnvironment;
  #live: ViewState;
  #turns: WriterTurns;

  /** @internal Use `MLS.groupCreate`, `groupJoin` or `groupGet`. */
  constructor(env: ViewEnvironment, live: ViewState, turns: WriterTurns) {
    super(live, turns);
    this.#env = env;
    this.#live = live;
    this.#turns = turns;
    registerView(this, live);
  }

  /**
   * This member's view of `created`'s new group (a branch), stored; of
   * this view's class, which this module cannot name without an import
   * cycle (`GroupView` extends it).
   */
  async #open(created: CreatedCommit): Promise<ResumedGroup<this>> {
    const { state } = created;
    const store = await storeNewState(
      this.#env,
      this.clientId,
      state,
      [],
      false,
    );
    const parts = { state, pending: undefined, store };
    const groupId = toHex(state.context.groupId);
    const signer = state.signer;
    const live = new ViewState(
      this.#env,
      groupId,
      this.clientId,
      signer,
      parts,
    );
    const View = this.constructor as new (
      env: ViewEnvironment,
      live: ViewState,
    ) => this;
    const view = new View(this.#env, live);
    this.#env.remember?.(view);
    return resumedGroup(created, view);
  }

  /**
   * Replaces the group context extensions by commit (a
   * GroupContextExtensions proposal, RFC 9420 §12.1.7): `extensions` is
   * the whole new set (see {@link GroupExtensions}). Every member must
   * support each extension type (`unsupported_group_extension`) and the
   * required capabilities (`unsupported_capability`); members see the new
   * set in `details().extensions` once they process the commit.
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
      commitOwn(this.#live, this.#env, {
        proposals: [extensionsProposal(extensions, "extensions")],
      })
    );
  }

  /**
   * Proposes new group context extensions (RFC 9420 §12.1.7) for a member
   * to commit; as {@link GroupAdmin.setExtensions}.
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
      return (await proposeEach(this.#live, [p], sendChecks(this.#env)))[0];
    });
  }

  /** Commits `extensions` as the new group context extensions (§12.1.7). */
  #commitExtensions(extensions: Extension[]): Promise<CommitOutput> {
    return commitOwn(this.#live, this.#env, {
      proposals: [{
        proposalType: ProposalType.groupContextExtensions,
        extensions,
      }],
    });
  }

  /**
   * Authorizes a consumer of the key export service by commit: a
   * non-member (media server, recorder) that will receive this group's
   * exports `exportSecret(label, context, length)` for each of
   * `consumer.exports`, HPKE-sealed to its key, from the epoch this commit
   * starts until it is revoked or `expires`. A consumer of the same id is
   * replaced. The list is a GroupContext extension (webmls's private-use
   * type 0xF0E5) every member sees in `details().extensions.exportConsumers`
   * and must support (webmls clients do by default:
   * `unsupported_group_extension` otherwise). A key the suite's KEM
   * refuses is `invalid_argument`.
   *
   * @example Authorizing an SFU for SFrame base keys (RFC 9605 §5.2)
   * ```ts
   * import { MLS } from "@webmls/mls";
   * import { generateConsumerKeys } from "@webmls/mls/export";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const sfu = await generateConsumerKeys(group.cipherSuite);
   * await group.receive(await group.authorizeConsumer({
   *   id: "sfu",
   *   hpkePublicKey: sfu.hpkePublicKey,
   *   signaturePublicKey: sfu.signaturePublicKey,
   *   exports: [{ label: "SFrame 1.0 Base Key", length: 16 }],
   * }));
   * console.log(group.details().extensions.exportConsumers?.[0].id); // "sfu"
   * ```
   */
  authorizeConsumer(consumer: ExportConsumerInfo): Promise<CommitOutput> {
    return this.#turns.run(async () => {
      const list = withConsumer(this.#live.state.context.extensions, consumer);
      await checkConsumerKey(this.#live.state.cs, consumer);
      return await this.#commitExtensions(list);
    });
  }

  /**
   * Revokes consumer `id` by commit: from the epoch this commit starts,
   * members seal nothing for it and the service accepts nothing for it
   * (`invalid_argument` when `id` is not authorized).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * import { generateConsumerKeys } from "@webmls/mls/export";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const rec = await generateConsumerKeys(group.cipherSuite);
   * await group.receive(await group.authorizeConsumer({
   *   id: "recorder",
   *   hpkePublicKey: rec.hpkePublicKey,
   *   signaturePublicKey: rec.signaturePublicKey,
   *   exports: [{ label: "recording" }],
   * }));
   * await group.receive(await group.revokeConsumer("recorder"));
   * console.log(group.details().extensions.exportConsumers); // undefined
   * ```
   */
  revokeConsumer(id: string): Promise<CommitOutput> {
    return this.#turns.run(() =>
      this.#commitExtensions(
        withoutConsumer(this.#live.state.context.extensions, id),
      )
    );
  }

  /**
   * This epoch's exports for every authorized, unexpired consumer, each
   * HPKE-sealed to the consumer's key (group id, epoch, consumer, label and
   * context bound in HPKE's `info`): the body to post to the key export
   * service (`POST /v1/groups/:id/exports`; `DeliveryClient` posts it after
   * each of its commits). The committer of an epoch posts it; any member
   * may post again (the service keeps the first of each export).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const body = await group.sealExports(); // no consumer: an empty list
   * console.log(body.length > 0); // true
   * ```
   */
  sealExports(): Promise<Uint8Array> {
    return this.#turns.run(() => sealExportsOf(this.#live.state, new Date()));
  }

  /**
   * Injects the external PSK `id` (stored with `MLS.storePsk`, or known to
   * `MLSOptions.psks`) into the key schedule by commit: a PreSharedKey
   * proposal (RFC 9420 §8.4, §12.1.4). Every member, and anyone joining by
   * this commit's Welcome, needs the PSK to process it (`missing_psk`).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await mls.storePsk("out-of-band", crypto.getRandomValues(new Uint8Array(32)));
   * await group.receive(await group.addPsk("out-of-band"));
   * console.log(group.epoch); // 1n
   * ```
   */
  addPsk(id: string | Uint8Array): Promise<CommitOutput> {
    return this.#turns.run(() =>
      commitOwn(this.#live, this.#env, {
        proposals: [externalPskProposal(this.#live.state.cs, id)],
      })
    );
  }

  /**
   * Proposes injecting the external PSK `id` (see
   * {@link GroupAdmin.addPsk}) for a member to commit.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({ autoCommit: false });
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await mls.storePsk("out-of-band", crypto.getRandomValues(new Uint8Array(32)));
   * await group.proposePsk("out-of-band");
   * await group.receive(await group.commit());
   * ```
   */
  proposePsk(id: string | Uint8Array): Promise<ProposalOutput> {
    return this.#turns.run(async () => {
      const p = externalPskProposal(this.#live.state.cs, id);
      return (await proposeEach(this.#live, [p], sendChecks(this.#env)))[0];
    });
  }

  /**
   * Branches a subgroup (RFC 9420 §11.3): a new group of this member and
   * the owners of `keyPackages` (members of this group, with new key
   * packages), same suite, tied to this epoch by a `branch` resumption PSK.
   * Returns this member's view of it and the Welcome; the others join with
   * `MLS.groupJoin(identity, welcome, { resumes: theirViewOfThisGroup })`,
   * which refuses a branch that adds someone not in this group
   * (`invalid_resumption`). This group carries on unchanged.
   *
   * @example Alice and Bob branch off a side conversation
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
   * const side = await group.branch([
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * ]);
   * const bobSide = await mls.groupJoin(bob, side.welcome!, { resumes: bobGroup });
   * console.log(bobSide.epoch, side.group.members.length); // 1n 2
   * ```
   */
  branch(
    keyPackages: KeyPackageInput[],
    options: BranchOptions = {},
  ): Promise<ResumedGroup<this>> {
    return this.#turns.run(async () =>
      await this.#open(await branchOf(this.#live.state, keyPackages, options))
    );
  }

  /**
   * Commits a ReInit (RFC 9420 §11.2, §12.1.5): once it is applied the
   * group is frozen (`status` `"reinit"`: no more messages) and a member
   * recreates it with `MLS.groupReinit` as `options` say — a new cipher
   * suite (one the provider serves), group id or extensions — while the
   * others join with `MLS.groupJoin(…, { resumes })`.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.reinit({ cipherSuite: 3 }));
   * console.log(group.status); // "reinit"
   * ```
   */
  reinit(options: ReinitOptions): Promise<CommitOutput> {
    return this.#turns.run(() =>
      commitOwn(this.#live, this.#env, {
        proposals: [
          reinitProposal(this.#live.state, options, this.#env.provider),
        ],
      })
    );
  }
}
