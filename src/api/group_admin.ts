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
import { commitOwn, proposeEach } from "./own_messages.ts";
import { externalPskProposal } from "./psk_store.ts";
import type { CommitOutput, GroupExtensions, ProposalOutput } from "./types.ts";
import { sendChecks, type ViewEnvironment } from "./view_environment.ts";
import type { ViewState } from "./view_state.ts";
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
}
