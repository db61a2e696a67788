// tree-math.json: node counts, root, left/right/parent/sibling (Appendix C).
import assert from "node:assert/strict";
import {
  left,
  nodeCount,
  parent,
  right,
  root,
  sibling,
} from "../../src/tree/tree_math.ts";

interface TreeMathVector {
  n_leaves: number;
  n_nodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

/** Checks one tree-math entry. */
export function check(v: TreeMathVector): Promise<void> {
  const n = v.n_leaves;
  assert.equal(nodeCount(n), v.n_nodes);
  assert.equal(root(n), v.root);
  const opt = (f: () => number) => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  for (let i = 0; i < v.n_nodes; i++) {
    assert.equal(opt(() => left(i)), v.left[i], `left(${i})`);
    assert.equal(opt(() => right(i)), v.right[i], `right(${i})`);
    assert.equal(opt(() => parent(i, n)), v.parent[i], `parent(${i})`);
    assert.equal(opt(() => sibling(i, n)), v.sibling[i], `sibling(${i})`);
  }
  return Promise.resolve();
}
