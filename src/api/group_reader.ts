/**
 * `GroupReader`: what a `GroupView` shows of the current epoch without
 * changing it (epoch, members, exported secrets, GroupInfo, ratchet
 * tree). `GroupView` extends it with the calls that change the group.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { groupInfoMessage } from "../group/commit.ts";
import { groupInfoFor } from "../group/group_info.ts";
import type { GroupState, GroupStatus } from "../group/state.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { mlsExporter } from "../schedule/exporter.ts";
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  checkString,
  checkTextOrBytes,
  optional,
} from "./args.ts";
import { membersOf } from "./convert.ts";
import { type ExportKeyAlgorithm, exportKeyOf } from "./export_key.ts";
import { groupExtensionsOf } from "./group_extensions.ts";
import { withIdentity } from "./member_ref.ts";
import { safetyNumberOf } from "./safety_number.ts";
import type { GroupDetails, Member } from "./types.ts";
import type { ViewState } from "./view_state.ts";
import type { WriterTurns } from "./writer_guard.ts";

/** The read-only side of one member's view of one group. */
export class GroupReader {
  /** The group id, hex. */
  readonly groupId: string;
  /** This member's client id. */
  readonly clientId: string;
  #live: ViewState;
  #turns: WriterTurns;

  /** @internal Use `MLS.groupCreate`, `groupJoin` or `groupGet`. */
  constructor(live: ViewState, turns: WriterTurns) {
    this.groupId = live.groupId;
    this.clientId = live.clientId;
    this.#live = live;
    this.#turns = turns;
  }

  /**
   * @internal Brings the view up to date with the stored state (another
   * tab stored a new one), in turn with its calls; a failure is left for
   * the next call to report.
   */
  refresh(): void {
    this.#turns.run(() => Promise.resolve()).catch(() => {});
  }

  /** The current epoch. */
  get epoch(): bigint {
    return this.#live.state.context.epoch;
  }

  /** The cipher suite. */
  get cipherSuite(): number {
    return this.#live.state.context.cipherSuite;
  }

  /** The members, by leaf index. */
  get members(): Member[] {
    return membersOf(this.#live.state.tree);
  }

  /** `"active"`, `"removed"` (a commit removed us) or `"reinit"`. */
  get status(): GroupStatus {
    return this.#live.state.status;
  }

  /** Whether a commit of ours awaits confirmation. */
  get hasPendingCommit(): boolean {
    return this.#live.pending !== undefined;
  }

  /**
   * How this member frames its proposals and commits: `"private"`
   * (PrivateMessage) or `"public"` (PublicMessage, which a delivery
   * service can read). See `GroupView.setHandshakeWireFormat`.
   */
  get handshakeWireFormat(): "private" | "public" {
    return this.#live.state.config.handshakeWireFormat;
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
      epochAuthenticator: this.#live.state.keys.epochAuthenticator.slice(),
      extensions: groupExtensionsOf(this.#live.state.context.extensions),
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
    return this.#turns.run(() => safetyNumberOf(this.#live.state));
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
    // In turn with the writes: the epoch is the stored one.
    return this.#turns.run(() => {
      checkString(label, "label");
      const ctx = checkTextOrBytes(context, "context");
      // `uint16 length` of KDFLabel (RFC 9420 §8, §8.5).
      checkInteger(length, "length", 0, 0xffff);
      const s: GroupState = this.#live.state;
      return mlsExporter(s.cs, s.keys.exporterSecret, label, ctx, length);
    });
  }

  /**
   * A WebCrypto key from the MLS exporter (RFC 9420 §8.5): non-extractable,
   * for `algorithm` (see {@link ExportKeyAlgorithm}: AES-GCM, AES-CBC,
   * AES-CTR, AES-KW, HMAC, or an HKDF base key) and `usages`, equal across
   * the members of this epoch. Its bytes are `exportSecret(label, context,
   * length)`, never exposed (so give each algorithm a label of its own).
   * Usages the algorithm does not have are `invalid_argument`.
   *
   * @example A file key every member derives; one encrypts, another decrypts
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const key = await group.exportKey("file key", "file-42", "AES-GCM", ["encrypt", "decrypt"]);
   * const iv = crypto.getRandomValues(new Uint8Array(12));
   * const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new Uint8Array([1]));
   * console.log(key.extractable, sealed.byteLength); // false 17
   * ```
   */
  exportKey(
    label: string,
    context: string | Uint8Array,
    algorithm: ExportKeyAlgorithm,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    return this.#turns.run(() =>
      exportKeyOf(this.#live.state, label, context, algorithm, usages)
    );
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
      const gi = await groupInfoFor(this.#live.state, { ratchetTree });
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
    return encode(ratchetTreeCodec, this.#live.state.tree.toNodes());
  }
}
