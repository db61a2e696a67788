/**
 * The unmerged-leaves invariants of a ratchet tree (RFC 9420 §12.4.3.1):
 * every entry of a parent's `unmerged_leaves` is a non-blank leaf below that
 * parent, listed once, and also listed by every non-blank node between the
 * leaf and the parent.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { RatchetTree } from "./ratchet_tree.ts";
import { isInSubtree, type NodeIndex } from "./tree_math.ts";

/**
 * Checks the unmerged-leaves invariants of every non-blank parent.
 * O(total unmerged entries × log n).
 *
 * @param tree the tree to check
 * @throws MlsError `invalid_unmerged_leaves`, `field` = `node[x]` of the
 *   parent whose list is wrong
 */
export function verifyUnmergedLeaves(tree: RatchetTree): void {
  for (let x = 1; x < tree.nodeWidth; x += 2) {
    const p = tree.getParent(x);
    if (!p) continue;
    const seen = new Set<number>();
    for (const u of p.unmergedLeaves) {
      const fail = (why: string): never => {
        throw new MlsError(
          "invalid_unmerged_leaves",
          `unmerged leaf ${u}: ${why}`,
          `node[${x}]`,
        );
      };
      if (seen.has(u)) fail("listed twice");
      seen.add(u);
      if (u >= tree.leafCount || !isInSubtree(2 * u, x)) {
        fail("not a descendant of the parent");
      }
      if (tree.getLeaf(u) === undefined) fail("blank leaf");
      for (const q of between(tree, 2 * u, x)) {
        const qp = tree.getParent(q);
        if (qp && !qp.unmergedLeaves.includes(u)) {
          fail(`missing from intermediate node ${q}`);
        }
      }
    }
  }
}

// The nodes strictly between `from` and its ancestor `to`.
function between(
  tree: RatchetTree,
  from: NodeIndex,
  to: NodeIndex,
): NodeIndex[] {
  const path = tree.directPath(from >>> 1);
  return path.slice(0, path.indexOf(to));
}
