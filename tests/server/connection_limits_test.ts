// Connections the service must not keep (issue 12, finding 6): caps on the
// streams and long polls one token, and the whole process, hold open; and
// connections stalled mid-headers, mid-body, idle between requests, or a
// WebSocket whose client stopped answering, closed by the server. The
// timeouts are the real entry point's (`server/main.ts`, spawned with short
// `--option` values) over raw TCP. No test asserts a duration: each waits
// for the server to close the connection, and fails only if that has not
// happened after a bound far above the configured timeout.
import assert from "node:assert/strict";
import {
  STREAM_AUTH_PREFIX,
  STREAM_PROTOCOL,
} from "../../server/shared/wire.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { client, spawnServer, startServer } from "./helpers.ts";

/** Far above every timeout configured below: only a hang reaches it. */
const BOUND_MS = 20_000;

const enc = new TextEncoder();

/** A raw TCP connection to the server at `url`. */
function connect(url: string): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  return Deno.connect({ hostname, port: Number(port) });
}

/**
 * Reads until the server closes `conn` (returns what it sent) or the
 * bound passes (returns `null`: still open).
 */
async function untilClosed(conn: Deno.Conn): Promise<string | null> {
  const buf = new Uint8Array(64 * 1024);
  const dec = new TextDecoder();
  let got = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<"open">((r) => {
    timer = setTimeout(() => r("open"), BOUND_MS);
  });
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buf).catch(() => null), bound]);
      if (n === "open") return null;
      if (n === null) return got;
      got += dec.decode(buf.subarray(0, n), { stream: true });
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** A long poll of `token`'s inbox: its status and error code. */
async function longPoll(
  url: string,
  token: string,
  wait: number,
): Promise<[number, string | undefined, string | null]> {
  const res = await fetch(`${url}/v1/inbox?wait=${wait}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.json();
  return [res.status, body.error?.code, res.headers.get("retry-after")];
}

/** Opens the inbox stream of `token`; resolves once it is open. */
async function openStream(url: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace("http", "ws") + "/v1/inbox/stream", [
    STREAM_PROTOCOL,
    STREAM_AUTH_PREFIX + token,
  ]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error("stream refused"));
  });
  return ws;
}

/** Closes `ws` and waits until the client side has seen it close. */
async function closeStream(ws: WebSocket): Promise<void> {
  const closed = new Promise((r) => ws.onclose = r);
  ws.close();
  await closed;
}

Deno.test("connection limits: streams and long polls per token (429 too_many_streams)", async () => {
  const server = await startServer(undefined, { maxStreamsPerToken: 2 });
  const open: WebSocket[] = [];
  try {
    const a = await client(server.url, "a");
    const b = await client(server.url, "b");
    const token = a.client.token;
    open.push(await openStream(server.url, token));
    open.push(await openStream(server.url, token));
    // A third, as a long poll or as a stream, is refused.
    const [status, code, retry] = await longPoll(server.url, token, 5);
    assert.deepEqual([status, code], [429, "too_many_streams"]);
    assert.ok(Number(retry) >= 1);
    await assert.rejects(openStream(server.url, token), /refused/);
    // Another token is not affected: its long poll waits (1 s) and ends.
    assert.deepEqual(await longPoll(server.url, b.client.token, 1), [
      200,
      undefined,
      null,
    ]);
    // A closed stream gives its slot back (once the server has seen the
    // close: each try is an immediate 429 or a wait of a second).
    await closeStream(open.pop()!);
    let result = await longPoll(server.url, token, 1);
    for (let i = 0; i < 500 && result[0] === 429; i++) {
      result = await longPoll(server.url, token, 1);
    }
    assert.equal(result[0], 200);
  } finally {
    for (const ws of open) await closeStream(ws);
    await server.close();
  }
});

Deno.test("connection limits: streams and long polls in total (503 server_busy)", async () => {
  const server = await startServer(undefined, { maxStreams: 2 });
  const open: WebSocket[] = [];
  try {
    const a = await client(server.url, "a");
    const b = await client(server.url, "b");
    const c = await client(server.url, "c");
    open.push(await openStream(server.url, a.client.token));
    open.push(await openStream(server.url, b.client.token));
    const [status, code] = await longPoll(server.url, c.client.token, 5);
    assert.deepEqual([status, code], [503, "server_busy"]);
    // A long poll that finds messages waits for nothing and takes no slot.
    const g = await a.client.createGroup();
    await a.client.add(g.groupId, [c.client.clientId]);
    assert.equal((await longPoll(server.url, c.client.token, 5))[0], 200);
  } finally {
    for (const ws of open) await closeStream(ws);
    await server.close();
  }
});

Deno.test("connection limits: a long poll gives its slot back when its client goes away", async () => {
  const server = await spawnServer([
    "--memory",
    "--no-rate-limit",
    "--option",
    "maxStreamsPerToken=1",
  ]);
  try {
    const a = await client(server.url, "a");
    const token = a.client.token;
    // A first long poll that holds the token's only slot, as a second
    // (refused) shows. Either may reach the server first: if the second
    // took the slot (and waited its second), the first was refused or
    // holds it now; start over in the first case.
    let leaving = new AbortController();
    let first: Promise<number | string> = Promise.resolve(429);
    let second: [number, string | undefined, string | null] = [0, "", null];
    for (let i = 0; i < 10 && second[0] !== 429; i++) {
      if ((await Promise.race([first, "pending"])) !== "pending") {
        leaving = new AbortController();
        first = fetch(`${server.url}/v1/inbox?wait=25`, {
          headers: { authorization: `Bearer ${token}` },
          signal: leaving.signal,
        }).then((r) => r.body?.cancel().then(() => r.status) ?? r.status)
          .catch(() => "aborted");
      }
      second = await longPoll(server.url, token, 1);
    }
    assert.equal(second[1], "too_many_streams");
    leaving.abort();
    assert.equal(await first, "aborted");
    // The server sees the disconnect and ends the poll: the slot is free
    // long before the 25 s the poll asked for.
    let third = await longPoll(server.url, token, 1);
    for (let i = 0; i < 500 && third[0] === 429; i++) {
      third = await longPoll(server.url, token, 1);
    }
    assert.equal(third[0], 200);
  } finally {
    await server.stop();
  }
});

Deno.test("connection limits: a stream ends when the store closes", async () => {
  const store = new MemoryStore();
  const server = await startServer(store);
  try {
    const a = await client(server.url, "a");
    const ws = await openStream(server.url, a.client.token);
    let pings = 0;
    ws.onmessage = (e) => {
      if (JSON.parse(String(e.data)).type === "ping") pings++;
    };
    const closed = new Promise<number>((r) => ws.onclose = (e) => r(e.code));
    await store.close(); // the server keeps running
    assert.equal(await closed, 1001);
    assert.equal(pings, 0, "no ping flood from a closed subscription");
  } finally {
    await server.close();
  }
});

Deno.test("connection limits: a late body gets 408 body_timeout (any runtime)", async () => {
  const server = await startServer(undefined, { bodyTimeoutMs: 200 });
  try {
    // Deno.serve (this test server) keeps the connection after the 408;
    // the entry point's server closes it (next test).
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10)); // and never more
      },
    });
    const res = await fetch(`${server.url}/v1/clients`, {
      method: "POST",
      headers: { "content-type": "application/mls-message" },
      body,
      signal: AbortSignal.timeout(BOUND_MS), // only a hang reaches it
    });
    assert.equal(res.status, 408);
    assert.equal((await res.json()).error.code, "body_timeout");
  } finally {
    await server.close();
  }
});

Deno.test("connection limits: the entry point closes stalled and idle connections", async () => {
  const server = await spawnServer([
    "--memory",
    "--option",
    "headersTimeoutMs=300",
    "--option",
    "bodyTimeoutMs=300",
    "--option",
    "idleTimeoutMs=300",
    "--option",
    "maxConnections=6",
  ]);
  try {
    const [silent, headers, trickle, body, idle] = await Promise.all(
      [0, 1, 2, 3, 4].map(() => connect(server.url)),
    );
    await headers.write(enc.encode("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));
    await trickle.write(enc.encode("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));
    const dribble = setInterval(() => {
      trickle.write(enc.encode("X-A: b\r\n")).catch(() => {});
    }, 100);
    await body.write(enc.encode(
      "POST /v1/clients HTTP/1.1\r\nHost: x\r\n" +
        "Content-Type: application/mls-message\r\nContent-Length: 1000\r\n\r\n" +
        "0123456789",
    ));
    await idle.write(enc.encode("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"));
    try {
      const [s, h, t, b, i] = await Promise.all(
        [silent, headers, trickle, body, idle].map(untilClosed),
      );
      assert.notEqual(s, null, "a silent connection is closed");
      assert.notEqual(h, null, "a connection stalled mid-headers is closed");
      assert.notEqual(t, null, "a connection trickling headers is closed");
      assert.notEqual(b, null, "a connection stalled mid-body is closed");
      assert.match(b!, /^HTTP\/1\.1 408/);
      assert.match(b!, /body_timeout/);
      assert.notEqual(i, null, "an idle keep-alive connection is closed");
      assert.match(i!, /^HTTP\/1\.1 200/);
    } finally {
      clearInterval(dribble);
    }

    // At most six connections: the seventh is closed at once, the first
    // six are served.
    const seven = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6].map(() => connect(server.url)),
    );
    const req =
      "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const answers = await Promise.all(seven.map(async (c) => {
      await c.write(enc.encode(req)).catch(() => {});
      return await untilClosed(c);
    }));
    assert.equal(
      answers.filter((a) => a?.startsWith("HTTP/1.1 200")).length,
      6,
    );
    assert.deepEqual(answers.filter((a) => a === ""), [""]);
  } finally {
    await server.stop();
  }
});

Deno.test("connection limits: a stream whose client stops answering is closed", async () => {
  const server = await spawnServer([
    "--memory",
    "--no-rate-limit",
    "--option",
    "streamIdleTimeoutMs=1000",
  ]);
  try {
    const a = await client(server.url, "a");
    const conn = await connect(server.url);
    await conn.write(enc.encode(
      "GET /v1/inbox/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        `Sec-WebSocket-Protocol: ${STREAM_PROTOCOL}, ${STREAM_AUTH_PREFIX}${a.client.token}\r\n\r\n`,
    ));
    // It reads what the server sends (pings included) and answers nothing.
    const got = await untilClosed(conn);
    assert.notEqual(got, null, "the server closed the stream");
    assert.match(got!, /^HTTP\/1\.1 101/);
  } finally {
    await server.stop();
  }
});
