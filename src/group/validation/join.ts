/**
 * What a joiner checks beyond the tree's validity (RFC 9420 §12.4.3,
 * §13.4, §5.3.1): that it supports every GroupContext extension, and that
 * the application accepts every credential in the group.
 *
 * @module
 */

import type { Extension } from "../../messages/extension.ts";
import type { LeafNode } from "../../messages/leaf_node.ts";
import type { RatchetTree } from "../../tree/ratchet_tree.ts";
import { checkLeafFitsGroup } from "../../tree/validation.ts";
import { groupRequirements } from "../capabilities.ts";
import {
  checkCredential,
  checkExternalSenders,
  type CredentialValidator,
  defaultCredentialValidator,
} from "./credential.ts";

/**
 * §13.4: "A client joining a group MUST verify that it supports every
 * extension in the GroupContext"; and the required capabilities (§11.1).
 */
export function checkJoinerSupport(
  leaf: Pick<LeafNode, "capabilities">,
  extensions: readonly Extension[],
): void {
  checkLeafFitsGroup(
    leaf,
    "GroupInfo.groupContext.extensions",
    groupRequirements(extensions),
  );
}

/**
 * §5.3.1: "When a member receives a GroupInfo object that it will use to
 * join a group", every credential it introduces — each member's leaf and
 * each external sender — is validated. (The default validator accepts any
 * new credential, so it is not called.)
 */
export async function checkGroupCredentials(
  tree: RatchetTree,
  groupId: Uint8Array,
  extensions: readonly Extension[],
  validator: CredentialValidator = defaultCredentialValidator,
): Promise<void> {
  if (validator === defaultCredentialValidator) return;
  for (const [i, leaf] of tree.leaves()) {
    await checkCredential(validator, {
      event: "join",
      credential: leaf.credential,
      signatureKey: leaf.signatureKey,
      groupId,
    }, `leaf[${i}].credential`);
  }
  await checkExternalSenders(
    validator,
    extensions,
    groupId,
    "GroupInfo.groupContext.extensions",
  );
}
