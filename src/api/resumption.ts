/**
 * Resuming a group in a new one (RFC 9420 §11): reinitialization (§11.2:
 * a ReInit commit freezes the group, then a member recreates it, say with
 * a new cipher suite) and subgroup branching (§11.3: some members start a
 * new group). Both are tied to the old group by a resumption PSK, which
 * the joiners' `MLS.groupJoin(…, { resumes })` verifies with the group
 * layer's rules (`group/resumption.ts`).
 *
 * @module
 */

import { type CreatedCommit, welcomeMessage } from "../group/commit.ts";
import { encode } from "../codec/codec.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import {
  branchGroup,
  joinBranch,
  joinReinit,
  reinitGroup,
} from "../group/resumption.ts";
import type { GroupState } from "../group/state.ts";
import {
  type Joined,
  joinFromWelcome,
  type JoinInput,
} from "../group/welcome.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import { DEFAULT_EXTENSION_TYPES } from "../messages/capabilities.ts";
import type { Welcome } from "../messages/welcome.ts";
import type {
  CryptoProvider,
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { fromHex } from "../util/bytes.ts";
import {
  checkArray,
  checkOptions,
  checkStringOrBytes,
  invalid,
  optional,
} from "./args.ts";
import { groupExtensionList } from "./group_extensions.ts";
import { keyPackageOptions } from "./key_package_options.ts";
import { addProposal, type KeyPackageInput } from "./proposal_input.ts";
import { checkCipherSuite } from "./settings_check.ts";
import type { GroupExtensions } from "./types.ts";

/** Options of `GroupView.reinit`. */
export interface ReinitOptions {
  /** The new group's cipher suite (one the provider serves). */
  readonly cipherSuite: number;
  /** The new group's id (hex or bytes); random by default. */
  readonly groupId?: string | Uint8Array;
  /** The new group's context extensions; none by default. */
  readonly extensions?: GroupExtensions;
}

/** Options of `GroupView.branch`. */
export interface BranchOptions {
  /** The new group's id (hex or bytes); random by default. */
  readonly groupId?: string | Uint8Array;
  /** The new group's context extensions; none by default. */
  readonly extensions?: GroupExtensions;
}

/**
 * A group that resumes another (a branch, or a reinitialized group): this
 * member's view of it, already at epoch 1 with the members added, and the
 * Welcome to send them (they join with `MLS.groupJoin(…, { resumes })`).
 */
export interface ResumedGroup<V> {
  /** `"resumedGroup"` */
  readonly type: "resumedGroup";
  /** The new group. */
  readonly group: V;
  /** The Welcome MLSMessage for the members added (none when none were). */
  readonly welcome?: Uint8Array;
}

function groupIdOf(value: unknown, field: string): Uint8Array {
  const v = checkStringOrBytes(value, field);
  if (typeof v !== "string") return v.slice();
  try {
    return fromHex(v);
  } catch {
    return invalid(field, "a hex string or bytes", "a string that is not hex");
  }
}

function keyPackagesOf(value: unknown, field: string) {
  return checkArray(value, field).map((k, i) => {
    const p = addProposal(k as KeyPackageInput, `${field}.${i}`);
    return p.proposalType === ProposalType.add ? p.keyPackage : invalid(
      `${field}.${i}`,
      "a key package",
      k,
    );
  });
}

/**
 * The ReInit proposal (§12.1.5) of `options`: the same protocol version,
 * a suite the provider serves.
 *
 * @example
 * ```ts ignore
 * await commitOwn(live, env, { proposals: [reinitProposal(state, options, provider)] });
 * ```
 */
export function reinitProposal(
  state: GroupState,
  options: unknown,
  provider: CryptoProvider,
): Proposal {
  const o = checkOptions(options);
  const cipherSuite = checkCipherSuite(
    o.cipherSuite,
    "options.cipherSuite",
    provider,
  );
  return {
    proposalType: ProposalType.reinit,
    groupId: optional(o.groupId, "options.groupId", groupIdOf) ??
      state.cs.randomBytes(32),
    version: ProtocolVersion.mls10,
    cipherSuite,
    extensions:
      optional(o.extensions, "options.extensions", groupExtensionList) ?? [],
  };
}

/**
 * Branches `old` (§11.3): a new group with this member and the owners of
 * `keyPackages` (members of `old`), same suite and settings.
 *
 * @example
 * ```ts ignore
 * const created = await branchOf(live.state, [bobKeyPackage], {});
 * ```
 */
export function branchOf(
  old: GroupState,
  keyPackages: unknown,
  options: unknown,
): Promise<CreatedCommit> {
  const o = checkOptions(options);
  const kps = keyPackagesOf(keyPackages, "keyPackages");
  const me = old.tree.getLeaf(old.privateTree.leafIndex)!;
  return branchGroup(
    old,
    { publicKey: me.signatureKey, privateKey: old.signer },
    kps,
    {
      groupId: optional(o.groupId, "options.groupId", groupIdOf),
      extensions: optional(
        o.extensions,
        "options.extensions",
        groupExtensionList,
      ),
      config: old.config,
      // The creator keeps what its leaf supports (say the application
      // extensions of the group it branches from).
      capabilities: me.capabilities,
    },
  );
}

/**
 * Recreates `old`, frozen by a committed ReInit, as its ReInit describes
 * (§11.2), with `signer` (an identity of the new suite `cs`) and the
 * members' key packages for it.
 *
 * @example
 * ```ts ignore
 * const created = await reinitOf(cs3, old, signer, keyPackages);
 * ```
 */
export function reinitOf(
  cs: SuiteCrypto,
  old: GroupState,
  signer: SignatureKeyPair,
  keyPackages: unknown,
): Promise<CreatedCommit> {
  const kps = keyPackagesOf(keyPackages, "keyPackages");
  // The creator supports the new group's own extensions (§13.4).
  const own = (old.reinit?.extensions ?? []).map((e) => e.extensionType)
    .filter((t) => !DEFAULT_EXTENSION_TYPES.has(t));
  const me = old.tree.getLeaf(old.privateTree.leafIndex)!;
  const leaf = keyPackageOptions(
    { capabilities: own.length > 0 ? { extensions: own } : undefined },
    "options",
    cs.id,
    me.credential,
  );
  return reinitGroup(cs, old, signer, kps, old.config, leaf);
}

/**
 * Joins from `welcome`: a fresh group, or (with `old`) the group that
 * resumes `old` — its reinitialization when `old` is frozen by a ReInit,
 * else a branch of it — with the group layer's checks.
 *
 * @example
 * ```ts ignore
 * const { state } = await joinResuming(cs, welcome, input, old);
 * ```
 */
export function joinResuming(
  cs: SuiteCrypto,
  welcome: Welcome,
  input: JoinInput,
  old?: GroupState,
): Promise<Joined> {
  if (!old) return joinFromWelcome(cs, welcome, input);
  if (old.status === "reinit") return joinReinit(cs, old, welcome, input);
  return joinBranch(old, welcome, input);
}

/**
 * The `ResumedGroup` of `created` and this member's `view` of it.
 *
 * @example
 * ```ts ignore
 * return resumedGroup(created, view);
 * ```
 */
export function resumedGroup<V>(
  created: CreatedCommit,
  view: V,
): ResumedGroup<V> {
  return {
    type: "resumedGroup",
    group: view,
    ...(created.welcome
      ? {
        welcome: encode(mlsMessageCodec, welcomeMessage(created.welcome)),
      }
      : {}),
  };
}
