/**
 * Load test of the delivery service, bounded and on loopback only: the
 * server runs in its own process (`server/main.ts --no-rate-limit`, memory
 * store, or Deno KV with `--kv`), or in `--nodes N` processes on one
 * Postgres database with `--postgres` (the server named by
 * `WEBMLS_TEST_POSTGRES`, or a throwaway cluster, `scripts/pg_cluster.ts`);
 * this process registers 100 clients, one
 * creates a group and adds the other 99 in one commit, then posts a fixed
 * number of application messages (pre-encrypted PrivateMessages) with a few
 * requests in flight. The 99 recipients read their inboxes over the
 * WebSocket stream (acknowledging as they go); one of them also decrypts
 * every message to check the path end to end.
 *
 * Prints messages per second, deliveries (message x recipient) per second,
 * and p50/p99 delivery latency (POST start to arrival at the recipient).
 *
 * `deno run -A bench/server_load.ts [--messages 500] [--members 100]
 *  [--concurrency 8] [--kv | --postgres [--nodes 3]] [--cap-seconds 60]
 *  [--server-cpu-prof DIR]`
 *
 * With several nodes, recipients' streams and the sender's posts are spread
 * over the nodes round-robin, so most deliveries cross nodes (LISTEN/NOTIFY).
 *
 * `--server-cpu-prof DIR` writes the server's V8 CPU profile into DIR
 * (summarize it with `bench/cpuprofile_top.ts`).
 *
 * `--members 10,100,1000` (a list; each size at most 1,000) runs one fresh
 * server and process per size, one after the other, and prints a table of
 * messages/s and p50/p99 delivery latency per size.
 *
 * @module
 */

import { DeliveryClient, DeliveryHttp } from "../delivery.ts";
import { MLS } from "../mod.ts";
import { spawnServer } from "../tests/server/helpers.ts";
import { startCluster } from "../scripts/pg_cluster.ts";
import postgres from "postgres";

function flag(name: string, dflt: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}

const MESSAGES = flag("messages", 500);
const SIZES = (() => {
  const i = Deno.args.indexOf("--members");
  const list = i >= 0 ? Deno.args[i + 1].split(",").map(Number) : [100];
  for (const n of list) {
    if (!Number.isInteger(n) || n < 2 || n > 1000) {
      throw new Error(`--members: sizes from 2 to 1000, got ${n}`);
    }
  }
  return list;
})();
if (SIZES.length > 1) {
  await runSizes(SIZES);
  Deno.exit(0);
}
const MEMBERS = SIZES[0];
const CONCURRENCY = flag("concurrency", 8);
const CAP_MS = flag("cap-seconds", 60) * 1000;
const KV = Deno.args.includes("--kv");
const PG = Deno.args.includes("--postgres");
const NODES = PG ? flag("nodes", 1) : 1;
const STORE = storeName();
const ACK_EVERY = flag("ack-every", 1);
const PROF = (() => {
  const i = Deno.args.indexOf("--server-cpu-prof");
  return i >= 0 ? Deno.args[i + 1] : undefined;
})();

/**
 * CPU seconds (user + system) a process has used so far, from Linux's
 * `/proc/<pid>/stat` (clock ticks of 1/100 s); `NaN` elsewhere.
 */
function cpuSeconds(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** A fresh database on the Postgres server at `admin`; its URL. */
async function freshDatabase(admin: string): Promise<string> {
  const name = `bench_${Date.now().toString(36)}_${Deno.pid}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

const dir = await Deno.makeTempDir({ prefix: "webmls-load-" });
const cluster = PG && !Deno.env.get("WEBMLS_TEST_POSTGRES")
  ? await startCluster()
  : undefined;
const database = PG
  ? await freshDatabase(Deno.env.get("WEBMLS_TEST_POSTGRES") ?? cluster!.url)
  : undefined;
const spawnNode = () =>
  spawnServer([
    "--no-rate-limit",
    // A commit adding 999 members (its Welcome and GroupInfo) exceeds the
    // default 512 KiB body, and 999 streams come near the default caps.
    ...["maxMessageBytes=16777216", "maxStreams=4096", "maxConnections=4096"]
      .flatMap((o) => ["--option", o]),
    ...database
      ? ["--postgres", database]
      : KV
      ? ["--kv", `${dir}/load.kv`]
      : ["--memory"],
  ], PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`] : []);
// The first node migrates the schema; the others start after it.
const first = await spawnNode();
const servers = [
  first,
  ...await Promise.all(Array.from({ length: NODES - 1 }, spawnNode)),
];
const server = servers[0];
const stopAll = async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await cluster?.stop();
};
const cap = setTimeout(() => {
  console.error(`time cap of ${CAP_MS / 1000} s reached`);
  stopAll().finally(() => Deno.exit(1));
}, CAP_MS);

try {
  const t0 = performance.now();
  const clients = await Promise.all(
    Array.from(
      { length: MEMBERS },
      (_, i) =>
        DeliveryClient.register(server.url, new MLS(), {
          name: `member ${i}`,
          keyPackages: 0,
        }),
    ),
  );
  const [sender, checker, ...rest] = clients;
  const group = await sender.createGroup();
  const gid = group.groupId;
  await sender.add(gid, [checker, ...rest].map((c) => c.clientId));
  await checker.sync(); // joins from the Welcome
  const checkerGroup = (await checker.group(gid))!;
  console.log(
    `setup: ${MEMBERS} members in one group in ${
      Math.round(performance.now() - t0)
    } ms (${STORE} store)`,
  );

  // Pre-encrypt the messages so that the sender's crypto is not timed.
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < MESSAGES; i++) payloads.push(await group.send(`m${i}`));
  const keyOf = (b: Uint8Array) => b.subarray(b.length - 24).join(",");
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let decrypted = 0;
  let lastArrival = 0;
  const expected = MESSAGES * (MEMBERS - 1);
  const done = Promise.withResolvers<void>();
  let checking = Promise.resolve();

  // Recipients: raw inbox streams.
  const receivers = [checker, ...rest];
  const sockets = await Promise.all(receivers.map((c, i) => {
    const http = new DeliveryHttp(servers[(i + 1) % NODES].url, c.token);
    const ws = http.stream();
    let n = 0;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.kind !== "application") return;
      const now = performance.now();
      const bytes = Uint8Array.from(atob(m.message), (ch) => ch.charCodeAt(0));
      latencies.push(now - sentAt.get(keyOf(bytes))!);
      lastArrival = now;
      if (++n % ACK_EVERY === 0 || n === MESSAGES) {
        ws.send(JSON.stringify({ type: "ack", cursor: m.cursor }));
      }
      if (i === 0) {
        checking = checking.then(async () => {
          const r = await checkerGroup.receive(bytes);
          if (r.type === "application" && r.text().startsWith("m")) decrypted++;
        });
      }
      if (latencies.length === expected) done.resolve();
    };
    return new Promise<WebSocket>((resolve) => ws.onopen = () => resolve(ws));
  }));
  await new Promise((r) => setTimeout(r, 200)); // the Welcomes drain

  const start = performance.now();
  // Every node's process (not the Postgres server's processes).
  const serverCpu = () => servers.reduce((t, s) => t + cpuSeconds(s.pid), 0);
  const cpu0 = [serverCpu(), cpuSeconds("self")];
  let next = 0;
  // One raw API per node, with the sender's token.
  const posters = servers.map((s) => new DeliveryHttp(s.url, sender.token));
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < MESSAGES) {
      const i = next++;
      const b = payloads[i];
      sentAt.set(keyOf(b), performance.now());
      await posters[i % NODES].post(gid, b);
    }
  }));
  const posted = performance.now();
  await done.promise;
  const cpu = [serverCpu() - cpu0[0], cpuSeconds("self") - cpu0[1]];
  await checking;
  for (const ws of sockets) ws.close();

  const seconds = (lastArrival - start) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `posted ${MESSAGES} messages in ${
      Math.round(posted - start)
    } ms (${CONCURRENCY} in flight)`,
  );
  console.log(
    `fan-out to ${MEMBERS - 1} recipients: ${
      (MESSAGES / seconds).toFixed(0)
    } messages/s, ${(expected / seconds).toFixed(0)} deliveries/s`,
  );
  console.log(
    `delivery latency: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${
      percentile(latencies, 0.99).toFixed(1)
    } ms (${latencies.length} deliveries)`,
  );
  console.log(
    `cpu while delivering: server ${cpu[0].toFixed(1)} s, bench ${
      cpu[1].toFixed(1)
    } s, in ${seconds.toFixed(1)} s (load average ${
      Deno.loadavg()[0].toFixed(1)
    })`,
  );
  console.log(`end to end: one recipient decrypted ${decrypted}/${MESSAGES}`);
  if (decrypted !== MESSAGES) throw new Error("decryption check failed");
} finally {
  clearTimeout(cap);
  await stopAll();
  await Deno.remove(dir, { recursive: true });
}

/** The store and nodes of this run, as printed. */
function storeName(): string {
  if (Deno.args.includes("--postgres")) {
    const nodes = flag("nodes", 1);
    return `Postgres, ${nodes} node${nodes > 1 ? "s" : ""}`;
  }
  return Deno.args.includes("--kv") ? "Deno KV" : "memory";
}

/** Runs this benchmark once per group size, each in its own process. */
async function runSizes(sizes: number[]): Promise<void> {
  const args = [...Deno.args];
  const at = args.indexOf("--members");
  const rows: string[] = [];
  for (const n of sizes) {
    args[at + 1] = String(n);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    console.log(text.trimEnd());
    const rate = /: (\d+) messages\/s/.exec(text)?.[1] ?? "failed";
    const lat = /p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(text);
    const deliveries = /(\d+) deliveries\/s/.exec(text)?.[1] ?? "-";
    const cpu = /server ([\d.]+) s, bench ([\d.]+) s, in ([\d.]+) s/
      .exec(text);
    rows.push(
      `| ${storeName()} | ${n} | ${rate} | ${deliveries} | ${
        lat?.[1] ?? "-"
      } | ${lat?.[2] ?? "-"} | ${
        cpu ? `${cpu[1]} / ${cpu[2]} / ${cpu[3]}` : "-"
      } |`,
    );
  }
  console.log(
    "\n| store | members | msg/s | deliveries/s | p50 ms | p99 ms | cpu s: server / bench / wall |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(r);
}
