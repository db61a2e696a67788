/**
 * `deno task check` (layers): every import of the library points down the
 * documented order of layers (README, "What is inside"), and no modules
 * import each other in a cycle — type-only imports count.
 *
 * It parses the import statements (`import`, `import type`, `export … from`,
 * `import()`) of every module under `src/` and `providers/`, of `mod.ts`,
 * and of the published delivery client (`delivery.ts`, `server/client/`,
 * `server/shared/`), with the TypeScript compiler's pre-processor, resolves
 * the relative ones, and fails (exit 1) on:
 *
 * - an upward import: a module imports one of a higher layer (the edge and
 *   both layers are printed);
 * - a relative import of a module outside every layer;
 * - a cycle of modules (printed as `a -> b -> … -> a`).
 *
 * `deno task layers [--graph]`; `--graph` prints the imports between
 * layers instead.
 *
 * @module
 */

import ts from "typescript";

/** One layer: a name and the modules it holds (path prefixes). */
export interface Layer {
  /** The layer's name, as in the README's table. */
  name: string;
  /** Paths relative to the repository: a folder ending in `/`, or a file. */
  paths: readonly string[];
}

/**
 * The layers, lowest first. A module may import modules of its own layer
 * and of the layers before it, never of a layer after it.
 */
export const LAYERS: readonly Layer[] = [
  { name: "errors", paths: ["src/error_codes.ts", "src/errors.ts"] },
  { name: "util", paths: ["src/util/"] },
  { name: "codec", paths: ["src/codec/"] },
  { name: "crypto", paths: ["src/crypto/", "providers/"] },
  { name: "messages", paths: ["src/messages/"] },
  { name: "tree", paths: ["src/tree/"] },
  { name: "schedule", paths: ["src/schedule/"] },
  { name: "framing", paths: ["src/framing/"] },
  { name: "group", paths: ["src/group/"] },
  { name: "api", paths: ["src/api/"] },
  { name: "entry", paths: ["mod.ts"] },
  {
    name: "delivery",
    paths: ["server/shared/", "server/client/", "delivery.ts", "export.ts"],
  },
];

/** An import of one module by another, both relative to the repository. */
export interface Edge {
  /** The importing module. */
  from: string;
  /** The imported module. */
  to: string;
}

/** The layer index of a module, or -1 when no layer holds it. */
export function layerOf(layers: readonly Layer[], module: string): number {
  let best = -1;
  let bestLength = -1;
  layers.forEach((layer, i) => {
    for (const p of layer.paths) {
      const hit = p.endsWith("/") ? module.startsWith(p) : module === p;
      if (hit && p.length > bestLength) {
        best = i;
        bestLength = p.length;
      }
    }
  });
  return best;
}

/**
 * Every violation of the layering in a module graph, one line each: upward
 * imports, imports of modules outside the layers, and cycles.
 */
export function violations(
  layers: readonly Layer[],
  edges: readonly Edge[],
): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(layers, from);
    const b = layerOf(layers, to);
    if (a < 0) out.push(`outside the layers: ${from}`);
    else if (b < 0) out.push(`import outside the layers: ${from} -> ${to}`);
    else if (b > a) {
      out.push(
        `upward import: ${from} (${layers[a].name}) -> ${to} (${
          layers[b].name
        })`,
      );
    }
  }
  for (const cycle of cycles(edges)) {
    out.push(`cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }
  return [...new Set(out)];
}

/**
 * One cycle per strongly connected component of the graph that has one
 * (Tarjan's algorithm), each as the list of its modules in import order.
 */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)!.push(to);
  }
  for (const list of next.values()) list.sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = next.get(v)!.includes(v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((c) => cycleIn(new Set(c), next));
}

/** A shortest cycle through the first module (sorted) of a component. */
function cycleIn(
  component: Set<string>,
  next: Map<string, string[]>,
): string[] {
  const start = [...component].sort()[0];
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    for (const w of next.get(v)!) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0])!);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** The modules under `dir` (relative to `root`), recursively. */
function modulesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(root + dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...modulesUnder(root, `${path}/`));
    else if (/\.(ts|tsx|js|mjs)$/.test(e.name)) out.push(path);
  }
  return out.sort();
}

/**
 * The relative imports of every module in `layers` under `root` (a path
 * ending in `/`): static, type-only, re-exports and dynamic `import()`.
 */
export function importGraph(root: string, layers: readonly Layer[]): Edge[] {
  const modules = layers.flatMap((l) =>
    l.paths.flatMap((p) => p.endsWith("/") ? modulesUnder(root, p) : [p])
  );
  const edges: Edge[] = [];
  for (const from of modules) {
    const text = Deno.readTextFileSync(root + from);
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith("./") && !fileName.startsWith("../")) continue;
      const url = new URL(fileName, `file:///${from}`);
      edges.push({ from, to: decodeURIComponent(url.pathname).slice(1) });
    }
  }
  return edges;
}

/** Imports between layers, counted, e.g. `tree -> messages 15`. */
function layerGraph(layers: readonly Layer[], edges: readonly Edge[]): string {
  const counts = new Map<string, number>();
  for (const { from, to } of edges) {
    const a = layers[layerOf(layers, from)]?.name ?? from;
    const b = layers[layerOf(layers, to)]?.name ?? to;
    if (a === b) continue;
    counts.set(`${a} -> ${b}`, (counts.get(`${a} -> ${b}`) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).sort().join("\n");
}

if (import.meta.main) {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  const edges = importGraph(root, LAYERS);
  if (Deno.args.includes("--graph")) {
    console.log(layerGraph(LAYERS, edges));
    Deno.exit(0);
  }
  const found = violations(LAYERS, edges);
  for (const line of found) console.error(line);
  if (found.length > 0) {
    console.error(
      `layers: ${found.length} violation(s); the order is ${
        LAYERS.map((l) => l.name).join(" < ")
      }`,
    );
    Deno.exit(1);
  }
  const modules = new Set(edges.flatMap((e) => [e.from, e.to])).size;
  console.log(
    `layers: ${modules} modules, ${edges.length} imports, no upward import, no cycle`,
  );
}
