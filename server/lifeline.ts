/**
 * The server's lifeline: it stops when the chain of launchers that started
 * it is broken.
 *
 * `npx deno task start` runs as npm exec → `sh -c` → `deno task` → `deno
 * run`. A SIGTERM to the PID a person or a process manager started (npm's,
 * or the shell around it) reaches npm, which passes it to `sh`, which dies
 * without passing it on: `deno task` and the server are orphaned and keep
 * the port. No launcher in that chain is ours, so the server watches it
 * instead: at start it records its ancestors while they are launchers
 * (shells, node/npm/npx, deno), and when one of them is gone (or its PID
 * now names another process) it shuts down as on SIGTERM.
 *
 * The process table is read with `ps` (POSIX; Deno asks for --allow-all to
 * read `/proc`), which needs --allow-run. Without `ps` or the permission
 * nothing is watched. A process manager that starts `deno run
 * server/main.ts` directly is not a launcher, so it is never watched: the
 * server then lives until it gets a signal.
 *
 * @module
 */

/** A process as `ps` shows it. */
export interface ProcessInfo {
  /** Its PID. */
  readonly pid: number;
  /** Its parent's PID. */
  readonly ppid: number;
  /** Its start time as `ps` prints it (tells a reused PID apart). */
  readonly started: string;
  /** Its executable's name. */
  readonly name: string;
}

/**
 * Reads the process table, or the given processes of it (those that are
 * gone are left out); `null` when it cannot be read at all.
 */
export type ProcessReader = (
  pids?: readonly number[],
) => Promise<ProcessInfo[] | null>;

/** Names of processes that only launch the server. */
const LAUNCHERS = /^(sh|dash|bash|zsh|ash|node|npm.*|npx.*|deno)$/;

/**
 * Parses `ps -o pid=,ppid=,lstart=,comm=` output: two numbers, a start
 * time of five words, then the name.
 */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.+)$/
      .exec(line);
    if (!m) continue;
    const name = m[4].trim();
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      started: m[3].replace(/\s+/g, " "),
      name: name.slice(name.lastIndexOf("/") + 1),
    });
  }
  return out;
}

/** Reads processes with `ps`. */
export const readWithPs: ProcessReader = async (pids) => {
  const args = ["-o", "pid=,ppid=,lstart=,comm="];
  args.push(...(pids ? ["-p", pids.join(",")] : ["-A"]));
  try {
    const { stdout } = await new Deno.Command("ps", {
      args,
      stdout: "piped",
      stderr: "null",
      env: { LC_ALL: "C" },
    }).output();
    return parsePs(new TextDecoder().decode(stdout));
  } catch {
    return null; // no ps, or no --allow-run
  }
};

/** The launchers above a process, nearest first. */
export async function launcherChain(
  read: ProcessReader = readWithPs,
  parent: number = Deno.ppid,
): Promise<ProcessInfo[]> {
  const byPid = new Map((await read() ?? []).map((p) => [p.pid, p]));
  const chain: ProcessInfo[] = [];
  for (let p = byPid.get(parent); p && p.pid > 1; p = byPid.get(p.ppid)) {
    if (!LAUNCHERS.test(p.name)) break;
    chain.push(p);
  }
  return chain;
}

/** Whether every process of `chain` is still the same process. */
export async function chainIntact(
  chain: readonly ProcessInfo[],
  read: ProcessReader = readWithPs,
): Promise<boolean> {
  const seen = await read(chain.map((p) => p.pid));
  if (seen === null) return true; // cannot tell: keep serving
  const now = new Map(seen.map((p) => [p.pid, p]));
  return chain.every((p) => now.get(p.pid)?.started === p.started);
}

/**
 * Calls `onBroken` once when a launcher above this process is gone; checks
 * every `intervalMs`. Resolves to a function that stops watching.
 */
export async function watchLaunchers(
  onBroken: () => void,
  intervalMs = 1000,
  read: ProcessReader = readWithPs,
): Promise<() => void> {
  const chain = await launcherChain(read);
  let stopped = chain.length === 0;
  const check = async () => {
    if (stopped) return;
    if (await chainIntact(chain, read)) {
      timer = setTimeout(check, intervalMs);
      return;
    }
    stopped = true;
    onBroken();
  };
  let timer = stopped ? undefined : setTimeout(check, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
