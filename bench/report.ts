/**
 * Tables and the README section of the comparison benchmark.
 *
 * @module
 */

/** One side's result for one measurement. */
export type SideValue =
  | { value: number; runs: number }
  | { dnf: number }
  | { error: string }
  | { na: string };

/** One row: an operation's phase at one size, for each side. */
export interface Measurement {
  /** Worker operation (`add`, `update`, ...). */
  op: string;
  /** Phase within the operation (`commit`, `process`, ...). */
  phase: string;
  /** What the row says in the table. */
  label: string;
  /** Group size (members added, for `add`; 1 when size does not apply). */
  size: number;
  /** Milliseconds or bytes. */
  unit: "ms" | "bytes";
  /** By side name. */
  sides: Record<string, SideValue>;
}

/** The machine and runtime a run used. */
export interface MachineInfo {
  /** Logical CPUs available to the process. */
  cpus: number;
  /** CPU model from /proc/cpuinfo. */
  cpuModel: string;
  /** Total memory. */
  memory: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  /** 1/5/15-minute load averages when the run started. */
  load: string;
  /** ISO date of the run. */
  date: string;
  /** All of the above as Markdown. */
  text: string;
}

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/**
 * Describes this machine and runtime (`nproc`, the CPU model from
 * /proc/cpuinfo, memory, load, Deno version). Needs `--allow-sys` and
 * `--allow-run=nproc,grep`; what it may not read it reports as unknown.
 */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuModel = (await run("grep", ["-m1", "model name", "/proc/cpuinfo"]))
    .replace(/^model name\s*:\s*/, "") || "unknown";
  const cpus = Number(await run("nproc", [])) || navigator.hardwareConcurrency;
  let memory = "unknown";
  let load = "unknown";
  try {
    memory = `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0)} GiB`;
    load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    // no --allow-sys
  }
  const v = Deno.version;
  const deno = `Deno ${v.deno} (V8 ${v.v8}, TypeScript ${v.typescript})`;
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const text = [
    `- CPU: \`nproc\` = ${cpus}, ${cpuModel}; ${memory} RAM`,
    `- ${deno}, ${Deno.build.target}`,
    `- load average at start: ${load} (a shared machine: other jobs ran)`,
    `- date: ${date} UTC`,
  ].join("\n");
  return { cpus, cpuModel, memory, deno, load, date, text };
}

/** Formats a duration in milliseconds. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** Formats a byte count. */
export function formatBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

function cell(v: SideValue | undefined, unit: "ms" | "bytes"): string {
  if (!v) return "–";
  if ("dnf" in v) return `did not finish in ${v.dnf / 1000} s`;
  if ("error" in v) return `fails¹`;
  if ("na" in v) return "n/a²";
  return unit === "ms" ? formatMs(v.value) : formatBytes(v.value);
}

/** `peer / side`: above 1, `side` is faster (or smaller). */
function ratio(m: Measurement, side = "webmls", peer = "ts-mls"): string {
  const w = m.sides[side];
  const t = m.sides[peer];
  if (!w || !("value" in w)) return "–";
  if (t && "dnf" in t) return `> ${(t.dnf / w.value).toFixed(0)}×`;
  if (!t || !("value" in t)) return "–";
  const r = t.value / w.value;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
}

function sizeCell(m: Measurement): string {
  if (m.op === "keyPackage" || m.op === "createGroup") return "–";
  if (m.op === "add") return `2 + ${m.size.toLocaleString("en")}`;
  return m.size.toLocaleString("en");
}

/** Column titles of the sides, in table order. */
const SIDE_TITLES: [string, string][] = [
  ["webmls", "webmls"],
  ["webmls-js", 'webmls, `kdf: "js"`'],
  ["webmls-webcrypto", 'webmls, `kdf: "webcrypto"`'],
  ["ts-mls", "ts-mls"],
  ["core-crypto", "core-crypto"],
];

/** The implementations webmls is compared with. */
const PEERS = new Set(["ts-mls", "core-crypto"]);

/** The side-by-side table as Markdown. */
export function renderComparison(results: Measurement[]): string {
  const present = new Set(results.flatMap((m) => Object.keys(m.sides)));
  const sides = SIDE_TITLES.filter(([s]) => present.has(s));
  const peers = sides.filter(([s]) => PEERS.has(s));
  const mine = sides.filter(([s]) => !PEERS.has(s));
  // One ratio column per peer and webmls variant, peer by peer.
  const pairs = peers.flatMap(([p, pt]) =>
    mine.map(([s, st]) => ({ p, s, title: `${pt} / ${st}` }))
  );
  const lines = [
    `| operation | group size | ${sides.map(([, t]) => t).join(" | ")} | ${
      pairs.map((x) => x.title).join(" | ")
    } |`,
    `| --- | ---: | ${sides.map(() => "---:").join(" | ")} | ${
      pairs.map(() => "---:").join(" | ")
    } |`,
  ];
  for (const m of results) {
    lines.push(
      `| ${m.label} | ${sizeCell(m)} | ${
        sides.map(([s]) => cell(m.sides[s], m.unit)).join(" | ")
      } | ${pairs.map((x) => ratio(m, x.s, x.p)).join(" | ")} |`,
    );
  }
  // One note per distinct failure, with the sizes it hit.
  const errors = new Map<string, Set<string>>();
  for (const m of results) {
    for (const [s, v] of Object.entries(m.sides)) {
      if (!("error" in v)) continue;
      const k = `${s}: ${v.error}`;
      if (!errors.has(k)) errors.set(k, new Set());
      errors.get(k)!.add(sizeCell(m));
    }
  }
  const notes = [...errors].map(([e, sizes]) =>
    `¹ ${e} (group size ${[...sizes].join(", ")})`
  );
  const na = new Map<string, Set<string>>();
  for (const m of results) {
    for (const [s, v] of Object.entries(m.sides)) {
      if (!("na" in v)) continue;
      const k = `${s}: ${v.na.replace(/^\w*Error: |^Unsupported: /, "")}`;
      if (!na.has(k)) na.set(k, new Set());
      na.get(k)!.add(m.label);
    }
  }
  notes.push(
    ...[...na].map(([why, labels]) => `² ${why} (${[...labels].join(", ")})`),
  );
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/**
 * How webmls's time grows with group size: each operation measured at more
 * than one size, with the growth per tenfold size (`(t_last/t_first)^(1 /
 * decades)`) for webmls and each peer in the run.
 */
export function renderScaling(results: Measurement[]): string {
  const byKey = new Map<string, Measurement[]>();
  for (const m of results) {
    if (m.size <= 1) continue;
    const k = `${m.op}/${m.phase}`;
    byKey.set(k, [...(byKey.get(k) ?? []), m]);
  }
  const sizes = [...new Set([...byKey.values()].flat().map((m) => m.size))]
    .sort((a, b) => a - b);
  const growth = (ms: Measurement[], side: string): string => {
    const ok = ms.filter((m) => {
      const v = m.sides[side];
      return v && "value" in v && v.value > 0;
    });
    if (ok.length < 2) return "–";
    const [a, b] = [ok[0], ok[ok.length - 1]];
    const va = (a.sides[side] as { value: number }).value;
    const vb = (b.sides[side] as { value: number }).value;
    const g = Math.pow(vb / va, 1 / Math.log10(b.size / a.size));
    return `×${g.toFixed(g >= 10 ? 0 : 1)}`;
  };
  const head = sizes.map((s) => s.toLocaleString("en"));
  const present = new Set(results.flatMap((m) => Object.keys(m.sides)));
  const peers = SIDE_TITLES.filter(([s]) => PEERS.has(s) && present.has(s));
  const lines = [
    `| webmls operation | ${head.join(" | ")} | per 10× members | ${
      peers.map(([, t]) => `${t} per 10×`).join(" | ")
    } |`,
    `| --- | ${sizes.map(() => "---:").join(" | ")} | ---: | ${
      peers.map(() => "---:").join(" | ")
    } |`,
  ];
  for (const ms of byKey.values()) {
    const cells = sizes.map((s) => {
      const m = ms.find((x) => x.size === s);
      return m ? cell(m.sides["webmls"], m.unit) : "";
    });
    const label = ms[0].op === "add"
      ? ms[0].label.replace("k members", "k members (k = size)")
      : ms[0].label;
    lines.push(
      `| ${label} | ${cells.join(" | ")} | ${growth(ms, "webmls")} | ${
        peers.map(([p]) => growth(ms, p)).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

const MARK = {
  begin: "<!-- results:begin (generated by `deno task bench:readme`) -->",
  end: "<!-- results:end -->",
};

/**
 * Replaces the generated part of the README (between the markers) with
 * the machine description and both tables.
 */
export async function writeReadme(
  url: URL,
  parts: {
    info: MachineInfo;
    comparison: string;
    scaling: string;
  },
): Promise<void> {
  const text = await Deno.readTextFile(url);
  const a = text.indexOf(MARK.begin);
  const b = text.indexOf(MARK.end);
  if (a < 0 || b < a) throw new Error("README markers not found");
  const body = [
    MARK.begin,
    "",
    "### Machine",
    "",
    parts.info.text,
    "",
    "### webmls vs ts-mls and core-crypto",
    "",
    parts.comparison,
    "",
    "### Scaling (webmls)",
    "",
    parts.scaling,
    "",
  ].join("\n");
  await Deno.writeTextFile(url, text.slice(0, a) + body + text.slice(b));
}
