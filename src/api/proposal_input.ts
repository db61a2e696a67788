/**
 * The proposals a view's calls make from their arguments: an Add from a
 * key package given as bytes or as `generateKeyPackage`'s output (one or
 * several), a Remove of a leaf.
 *
 * @module
 */

import { WireFormat } from "../framing/wire_format.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { invalid, oneOrMany } from "./args.ts";
import { decodeMessage } from "./message_input.ts";
import type { KeyPackageOutput } from "./types.ts";

/** A key package given as bytes or as the output of `generateKeyPackage`. */
export type KeyPackageInput = Uint8Array | KeyPackageOutput;

/**
 * The Add proposal of a key package input, `field` naming the argument:
 * bytes that are not a KeyPackage MLSMessage are refused as
 * `decodeMessage` says.
 *
 * @example
 * ```ts ignore
 * const proposal = addProposal(await mls.generateKeyPackage(bob, cred), "keyPackage");
 * ```
 */
export function addProposal(input: KeyPackageInput, field: string): Proposal {
  const bytes = input instanceof Uint8Array
    ? input
    : (input as { type?: unknown } | null)?.type === "keyPackage"
    ? input.bytes
    : invalid(field, "KeyPackage bytes or a KeyPackageOutput", input);
  const msg = decodeMessage(bytes, field, [WireFormat.mlsKeyPackage]);
  return { proposalType: ProposalType.add, keyPackage: msg.keyPackage };
}

/**
 * The Add proposals of one key package input or a non-empty array of them
 * (see {@link addProposal}), `field` naming the argument.
 *
 * @example
 * ```ts ignore
 * const proposals = addProposals([kpBob, kpCarol], "keyPackages");
 * ```
 */
export function addProposals(
  input: KeyPackageInput | KeyPackageInput[],
  field: string,
): Proposal[] {
  return oneOrMany(input, field).map((k) => addProposal(k.value, k.field));
}

/**
 * The Remove proposal of the member at leaf `removed`.
 *
 * @example
 * ```ts ignore
 * const proposals = leaves.map(removeProposal);
 * ```
 */
export function removeProposal(removed: number): Proposal {
  return { proposalType: ProposalType.remove, removed };
}
