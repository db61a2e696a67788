/**
 * Summarizes V8 `.cpuprofile` files (from `deno run --cpu-prof`): the
 * functions with the most self time, and with `--total` the most inclusive
 * time. Usage: `deno run --allow-read bench/cpuprofile_top.ts [--total]
 * [--top N] [--under FUNCTION] FILE...`; `--under` keeps only the samples
 * taken inside FUNCTION (e.g. `processCommit`), leaving out set-up work.
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function short(url: string): string {
  const m = /\/(src|providers|bench|node_modules\/\.deno)\/(.*)$/.exec(url);
  if (!m) return url.split("/").slice(-2).join("/");
  return m[1] === "node_modules/.deno"
    ? m[2].replace(/\/node_modules\/.*?\/(esm|dist|script)\//, ":")
    : `${m[1]}/${m[2]}`;
}

function key(n: ProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || "(anonymous)"} ${short(f.url)}:${
    f.lineNumber + 1
  }`;
}

const args = Deno.args;
const total = args.includes("--total");
const topIdx = args.indexOf("--top");
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 30;
// --under NAME: only samples with a caller whose function name is NAME.
const underIdx = args.indexOf("--under");
const under = underIdx >= 0 ? args[underIdx + 1] : undefined;
const files = args.filter((a, i) =>
  !a.startsWith("--") && args[i - 1] !== "--top" && args[i - 1] !== "--under"
);

const self = new Map<string, number>();
const incl = new Map<string, number>();
let all = 0;
for (const file of files) {
  const p: Profile = JSON.parse(await Deno.readTextFile(file));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const dt = new Map<number, number>();
  p.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + p.timeDeltas[i]));
  for (const [id, t] of dt) {
    const n = byId.get(id)!;
    if (under) {
      let found = false;
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        if (byId.get(x)!.callFrame.functionName === under) found = true;
      }
      if (!found) continue;
    }
    all += t;
    self.set(key(n), (self.get(key(n)) ?? 0) + t);
    if (total) {
      const seen = new Set<string>();
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const k = key(byId.get(x)!);
        if (seen.has(k)) continue;
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + t);
      }
    }
  }
}
const show = (m: Map<string, number>, title: string) => {
  console.log(`\n${title} (of ${(all / 1000).toFixed(0)} ms sampled)`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${(t / 1000).toFixed(1).padStart(9)} ms ${
        (100 * t / all).toFixed(1).padStart(5)
      }%  ${k}`,
    );
  }
};
show(self, "self time");
if (total) show(incl, "total time");
