/**
 * `deno task mutate`: proves that every listed security check is tested.
 * For each entry of `tests/mutation/security_checks.json` it disables the
 * check in a scratch copy of the repository (one exact text replacement:
 * invert, skip or accept), runs the test files that cover it, and expects
 * them to FAIL. A mutation that survives (the tests still pass) means a
 * check that no test proves; the task then exits 1. The working tree is
 * never touched.
 *
 * `deno task mutate [--only id,id] [--list]`
 *
 * @module
 */

/** One mutation of the list. */
export interface Mutation {
  /** Stable name, e.g. `welcome-confirmation-tag`. */
  id: string;
  /** Where the rule comes from (RFC section, or "service"). */
  rule: string;
  /** The check, in words. */
  check: string;
  /** The file, relative to the repository. */
  file: string;
  /** Text that occurs exactly once in `file`. */
  find: string;
  /** What replaces it to disable the check. */
  replace: string;
  /** How the check is disabled. */
  kind: "invert" | "skip" | "accept";
  /** Test files (relative) that must fail with the mutation. */
  tests: string[];
}

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const LIST = `${root}tests/mutation/security_checks.json`;
/** What a scratch copy needs (no node_modules, builds or data). */
const COPY = [
  "mod.ts",
  "delivery.ts",
  "export.ts",
  "deno.json",
  "deno.lock",
  "package.json",
  "src",
  "providers",
  "server",
  "scripts",
  "tests",
  "examples",
];

/** Reads and checks the list. */
export async function loadMutations(path = LIST): Promise<Mutation[]> {
  const list = JSON.parse(await Deno.readTextFile(path)) as Mutation[];
  const ids = new Set<string>();
  for (const m of list) {
    if (ids.has(m.id)) throw new Error(`duplicate mutation id ${m.id}`);
    ids.add(m.id);
    if (!m.tests?.length) throw new Error(`${m.id}: no tests`);
  }
  return list;
}

/** `text` with `m` applied; throws unless `m.find` occurs exactly once. */
export function applyMutation(text: string, m: Mutation): string {
  const at = text.indexOf(m.find);
  if (at < 0) throw new Error(`${m.id}: text not found in ${m.file}`);
  if (text.indexOf(m.find, at + 1) >= 0) {
    throw new Error(`${m.id}: text occurs more than once in ${m.file}`);
  }
  return text.slice(0, at) + m.replace + text.slice(at + m.find.length);
}

async function copyTree(dir: string): Promise<void> {
  for (const name of COPY) {
    const { code } = await new Deno.Command("cp", {
      args: ["-r", `${root}${name}`, `${dir}/${name}`],
    }).output();
    if (code !== 0) throw new Error(`copying ${name} failed`);
  }
}

/** Runs `tests` in `dir`; true when they all pass. */
async function testsPass(dir: string, tests: string[]): Promise<boolean> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-check", "--quiet", ...tests],
    cwd: dir,
    env: {
      // The scratch copy is not beside ../shared: point at the vectors.
      MLS_VECTORS_DIR: Deno.env.get("MLS_VECTORS_DIR") ??
        `${root}../shared/mls-vectors`,
    },
    stdout: "null",
    stderr: "null",
  }).output();
  return code === 0;
}

async function main(): Promise<number> {
  let list = await loadMutations();
  const only = Deno.args.indexOf("--only");
  if (only >= 0) {
    const ids = new Set(Deno.args[only + 1].split(","));
    list = list.filter((m) => ids.has(m.id));
  }
  if (Deno.args.includes("--list")) {
    for (const m of list) console.log(`${m.id}\t${m.rule}\t${m.file}`);
    return 0;
  }
  // Every mutation must still apply: a check that moved is reported here,
  // all at once, rather than silently dropped from the run.
  const broken: string[] = [];
  for (const m of list) {
    try {
      applyMutation(await Deno.readTextFile(`${root}${m.file}`), m);
    } catch (e) {
      broken.push((e as Error).message);
    }
    for (const t of m.tests) {
      try {
        await Deno.stat(`${root}${t}`);
      } catch {
        broken.push(`${m.id}: test file ${t} is gone`);
      }
    }
  }
  if (broken.length > 0) {
    console.log(`stale mutations (update the list):\n  ${broken.join("\n  ")}`);
    return 1;
  }
  const dir = await Deno.makeTempDir({ prefix: "webmls-mutate-" });
  try {
    await copyTree(dir);
    // Unmutated, every listed test file must pass: a failure then means
    // the check, not a broken test.
    const allTests = [...new Set(list.flatMap((m) => m.tests))];
    if (!await testsPass(dir, allTests)) {
      console.log("the listed tests fail without any mutation");
      return 1;
    }
    let survived = 0;
    for (const m of list) {
      const path = `${dir}/${m.file}`;
      const original = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, applyMutation(original, m));
      const t0 = performance.now();
      const passed = await testsPass(dir, m.tests);
      await Deno.writeTextFile(path, original);
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      if (passed) survived++;
      console.log(
        `${
          passed ? "SURVIVED" : "caught  "
        } ${m.id} (${m.rule}, ${m.kind}, ${s} s)`,
      );
    }
    console.log(
      `mutations: ${list.length - survived} caught, ${survived} survived`,
    );
    return survived === 0 ? 0 : 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
