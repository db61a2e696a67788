/**
 * The checks a joiner makes on a GroupInfo and the ratchet tree that comes
 * with it (RFC 9420 §12.4.3.1, shared by Welcome and external joins): the
 * tree from the `ratchet_tree` extension or from elsewhere, the GroupInfo
 * signature by its signer's leaf, the tree hash, and full tree validation.
 *
 * @module
 */

import type { GroupInfo } from "../messages/group_info.ts";
import type { RatchetTree as WireTree } from "../messages/ratchet_tree.ts";
import { RatchetTree } from "../tree/ratchet_tree.ts";
import { validateRatchetTree } from "../tree/validation.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { bytesEqual } from "../util/bytes.ts";
import { rule } from "../util/rule.ts";
import { groupRequirements } from "./capabilities.ts";
import type { ValidationOptions } from "./validation/context.ts";
import { checkGroupCredentials } from "./validation/join.ts";
import {
  checkUniqueExtensions,
  ratchetTreeFromExtensions,
  verifyGroupInfo,
} from "./group_info.ts";

/**
 * Returns the group's tree after verifying it and the GroupInfo against
 * each other; throws `missing_ratchet_tree`, `invalid_signer`,
 * `invalid_signature`, `tree_hash_mismatch`, a tree validation error, or
 * `invalid_credential` when the application refuses a member's credential
 * (§5.3.1).
 */
export async function verifiedGroupTree(
  cs: SuiteCrypto,
  info: GroupInfo,
  supplied: WireTree | undefined,
  options: ValidationOptions = {},
): Promise<RatchetTree> {
  const ctx = info.groupContext;
  checkUniqueExtensions(ctx.extensions, "GroupInfo.groupContext.extensions");
  checkUniqueExtensions(info.extensions, "GroupInfo.extensions");
  const wire = ratchetTreeFromExtensions(info.extensions) ?? supplied;
  rule(
    "§12.4.3.1",
    "missing_ratchet_tree",
    wire !== undefined,
    "no ratchet tree in the GroupInfo and none supplied",
    "ratchetTree",
  );
  const tree = RatchetTree.fromNodes(wire);
  const signerLeaf = tree.getLeaf(info.signer);
  rule(
    "§12.4.3.1",
    "invalid_signer",
    signerLeaf !== undefined,
    "GroupInfo signer is not a member",
    "GroupInfo.signer",
  );
  await verifyGroupInfo(cs, info, signerLeaf.signatureKey);
  rule(
    "§12.4.3.1",
    "tree_hash_mismatch",
    bytesEqual(await tree.treeHash(cs), ctx.treeHash),
    "the ratchet tree does not match the GroupInfo's tree hash",
    "ratchetTree",
  );
  await validateRatchetTree(cs, tree, {
    groupId: ctx.groupId,
    now: options.now,
    maxLifetime: options.maxLifetime,
    ...groupRequirements(ctx.extensions),
  });
  await checkGroupCredentials(
    tree,
    ctx.groupId,
    ctx.extensions,
    options.validateCredential,
  );
  return tree;
}
