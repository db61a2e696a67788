/**
 * The server stops when a launcher that does not pass SIGTERM on is killed
 * (npm exec → sh → deno task → server): `server/lifeline.ts`.
 */
import assert from "node:assert/strict";
import {
  chainIntact,
  launcherChain,
  parsePs,
  type ProcessInfo,
  type ProcessReader,
} from "../../server/lifeline.ts";

const PS = `    1     0 Sat Nov 28 18:59:01 2026 init
  100     1 Sat Nov 28 18:59:02 2026 sshd
  200   100 Sat Nov 28 18:59:03 2026 bash
  300   200 Sat Nov 28 18:59:04 2026 npm exec deno t
  400   300 Sat Nov 28 18:59:05 2026 sh
  500   400 Sat Nov 28 18:59:06 2026 /usr/bin/deno
  600   500 Sat Nov 28 18:59:07 2026 deno
`;

function reader(table: ProcessInfo[]): ProcessReader {
  return (pids) =>
    Promise.resolve(
      pids ? table.filter((p) => pids.includes(p.pid)) : table,
    );
}

Deno.test("lifeline: parses ps output, names without their directory", () => {
  const ps = parsePs(PS);
  assert.equal(ps.length, 7);
  assert.deepEqual(ps[5], {
    pid: 500,
    ppid: 400,
    started: "Sat Nov 28 18:59:06 2026",
    name: "deno",
  });
  assert.equal(ps[3].name, "npm exec deno t");
});

Deno.test("lifeline: the chain is the launchers up to the first other process", async () => {
  const chain = await launcherChain(reader(parsePs(PS)), 500);
  assert.deepEqual(chain.map((p) => p.pid), [500, 400, 300, 200]);
  // sshd is not a launcher: a service started by it is never watched.
  assert.deepEqual(await launcherChain(reader(parsePs(PS)), 100), []);
  assert.deepEqual(await launcherChain(() => Promise.resolve(null), 500), []);
});

Deno.test("lifeline: broken when a launcher is gone or its PID was reused", async () => {
  const table = parsePs(PS);
  const chain = await launcherChain(reader(table), 500);
  assert.equal(await chainIntact(chain, reader(table)), true);
  const gone = table.filter((p) => p.pid !== 400);
  assert.equal(await chainIntact(chain, reader(gone)), false);
  const reused = table.map((p) =>
    p.pid === 300 ? { ...p, started: "Sat Nov 28 19:30:00 2026" } : p
  );
  assert.equal(await chainIntact(chain, reader(reused)), false);
  // A process table that cannot be read is no reason to stop serving.
  assert.equal(await chainIntact(chain, () => Promise.resolve(null)), true);
});

async function portOpen(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("lifeline: SIGTERM to a shell that does not pass it on stops the server", async () => {
  const main = decodeURIComponent(
    new URL("../../server/main.ts", import.meta.url).pathname,
  );
  const deno = Deno.execPath();
  // `; true` keeps sh from exec'ing deno: sh stays between, as under npx.
  const script =
    `'${deno}' run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run '${main}' --port 0 --memory --no-page; true`;
  const sh = new Deno.Command("sh", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = sh.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += value;
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m) port = Number(m[1]);
  }
  assert.equal(await portOpen(port), true);
  sh.kill("SIGTERM");
  await sh.status;
  // The server polls its launchers every second; give it up to 20 s.
  let open = true;
  for (let i = 0; i < 80 && open; i++) {
    await new Promise((r) => setTimeout(r, 250));
    open = await portOpen(port);
  }
  await lines.cancel();
  assert.equal(open, false, "the server outlived its launcher");
});
