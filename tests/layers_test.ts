// scripts/check_layers.ts: the import-direction check of `deno task check`
// finds upward imports, imports from outside the layers and cycles
// (type-only imports included), and the repository has none.
import assert from "node:assert/strict";
import {
  cycles,
  type Edge,
  importGraph,
  type Layer,
  layerOf,
  LAYERS,
  violations,
} from "../scripts/check_layers.ts";

const layers: Layer[] = [
  { name: "low", paths: ["src/low/", "src/base.ts"] },
  { name: "high", paths: ["src/high/"] },
];

Deno.test("layers: a module's layer is the longest matching path", () => {
  assert.equal(layerOf(LAYERS, "src/errors.ts"), 0);
  assert.equal(
    LAYERS[layerOf(LAYERS, "providers/webcrypto.ts")].name,
    "crypto",
  );
  assert.equal(
    LAYERS[layerOf(LAYERS, "src/group/validation/commit.ts")].name,
    "group",
  );
  assert.equal(LAYERS[layerOf(LAYERS, "mod.ts")].name, "entry");
  assert.equal(layerOf(LAYERS, "server/app.ts"), -1);
});

Deno.test("layers: an upward import is reported with both layers", () => {
  const edges: Edge[] = [
    { from: "src/high/a.ts", to: "src/low/b.ts" },
    { from: "src/low/b.ts", to: "src/high/c.ts" },
  ];
  assert.deepEqual(violations(layers, edges), [
    "upward import: src/low/b.ts (low) -> src/high/c.ts (high)",
  ]);
});

Deno.test("layers: imports from or to outside the layers are reported", () => {
  assert.deepEqual(
    violations(layers, [{ from: "src/high/a.ts", to: "server/x.ts" }]),
    ["import outside the layers: src/high/a.ts -> server/x.ts"],
  );
});

Deno.test("layers: cycles within a layer are reported, one per component", () => {
  const edges: Edge[] = [
    { from: "src/low/a.ts", to: "src/low/b.ts" },
    { from: "src/low/b.ts", to: "src/low/c.ts" },
    { from: "src/low/c.ts", to: "src/low/a.ts" },
    { from: "src/low/c.ts", to: "src/base.ts" },
    { from: "src/high/x.ts", to: "src/high/x.ts" },
    { from: "src/high/y.ts", to: "src/high/z.ts" },
  ];
  assert.deepEqual(violations(layers, edges), [
    "cycle: src/high/x.ts -> src/high/x.ts",
    "cycle: src/low/a.ts -> src/low/b.ts -> src/low/c.ts -> src/low/a.ts",
  ]);
  assert.deepEqual(cycles(edges.slice(3)), [["src/high/x.ts"]]);
});

Deno.test("layers: every kind of import statement is an edge", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/src/low`, { recursive: true });
    await Deno.mkdir(`${root}/src/high`, { recursive: true });
    await Deno.writeTextFile(`${root}/src/base.ts`, "export const n = 1;\n");
    await Deno.writeTextFile(
      `${root}/src/low/a.ts`,
      [
        '// import { x } from "../high/not_a_comment.ts";',
        'import type {\n  T,\n} from "../high/types.ts";',
        'export * from "../base.ts";',
        'import "npm:not-relative";',
        'export const later = () => import("./b.ts");',
      ].join("\n"),
    );
    await Deno.writeTextFile(`${root}/src/low/b.ts`, "export {};\n");
    await Deno.writeTextFile(`${root}/src/high/types.ts`, "export type T = 1;");
    const edges = importGraph(`${root}/`, layers);
    assert.deepEqual(
      edges.map((e) => `${e.from} -> ${e.to}`).sort(),
      [
        "src/low/a.ts -> src/base.ts",
        "src/low/a.ts -> src/high/types.ts",
        "src/low/a.ts -> src/low/b.ts",
      ],
    );
    assert.deepEqual(violations(layers, edges), [
      "upward import: src/low/a.ts (low) -> src/high/types.ts (high)",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("layers: the repository imports only downward, without cycles", () => {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  const edges = importGraph(root, LAYERS);
  assert.ok(edges.length > 500);
  assert.deepEqual(violations(LAYERS, edges), []);
});
