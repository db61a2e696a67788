/**
 * A throwaway Postgres cluster for tests and benchmarks: `initdb` in a
 * temporary directory, `pg_ctl start` on a free loopback port (and a unix
 * socket in the same directory), trust authentication for local
 * connections only, removed again by {@link PgCluster.stop}. It uses
 * Debian's packages (`/usr/lib/postgresql/<version>/bin`, the newest
 * installed) or `initdb` on the PATH. Postgres refuses to run as root, so
 * when run as root the cluster runs as the `postgres` OS user (created by
 * Debian's package), with the directory owned by it.
 *
 * @module
 */

/** A running cluster. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

/** The directory of `initdb` and `pg_ctl`. */
async function binDir(): Promise<string> {
  const root = "/usr/lib/postgresql";
  const versions: number[] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
    }
  } catch { /* not Debian's layout */ }
  versions.sort((a, b) => b - a);
  for (const v of versions) {
    try {
      await Deno.stat(`${root}/${v}/bin/initdb`);
      return `${root}/${v}/bin`;
    } catch { /* next */ }
  }
  return ""; // On the PATH.
}

/** A free loopback TCP port (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string[], asPostgres: boolean): Promise<void> {
  const argv = asPostgres ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    // Postgres tools look up the working directory; /tmp is readable by all.
    cwd: "/tmp",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    throw new Error(`${cmd.join(" ")} failed:\n${text}`);
  }
}

/** Starts a cluster; see the module documentation. */
export async function startCluster(): Promise<PgCluster> {
  const bin = await binDir();
  const tool = (name: string) => bin ? `${bin}/${name}` : name;
  const asPostgres = Deno.uid?.() === 0;
  // /tmp: the `postgres` user must reach the directory (TMPDIR may not be).
  const dir = await Deno.makeTempDir({
    prefix: "webmls-pg-",
    ...asPostgres ? { dir: "/tmp" } : {},
  });
  if (asPostgres) {
    const id = await new Deno.Command("id", { args: ["-u", "postgres"] })
      .output();
    const gid = await new Deno.Command("id", { args: ["-g", "postgres"] })
      .output();
    if (!id.success) {
      throw new Error("running as root, and there is no `postgres` user");
    }
    const n = (o: Deno.CommandOutput) =>
      Number(new TextDecoder().decode(o.stdout).trim());
    await Deno.chown(dir, n(id), n(gid));
  }
  const data = `${dir}/data`;
  await run([
    tool("initdb"),
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
  ], asPostgres);
  const port = freePort();
  await run([
    tool("pg_ctl"),
    "-D",
    data,
    "-l",
    `${dir}/log`,
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
    "start",
  ], asPostgres);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      try {
        await run(
          [tool("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
          asPostgres,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
}
