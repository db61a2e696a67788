/**
 * A TCP forwarder for the three-node tests: the "load balancer" in front
 * of a client. Each connection goes to the first backend port that accepts
 * it, so when a node dies (kill -9) its clients' next connections reach
 * the next node, as they would behind a real balancer.
 *
 * @module
 */

/** A running forwarder. */
export interface Proxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops listening and closes every forwarded connection. */
  close(): void;
}

/** Forwards 127.0.0.1:(free port) to the first of `backends` that accepts. */
export function tcpProxy(backends: readonly number[]): Proxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const forward = async (conn: Deno.Conn) => {
    let back: Deno.Conn | undefined;
    for (const port of backends) {
      try {
        back = await Deno.connect({ hostname: "127.0.0.1", port });
        break;
      } catch { /* next backend */ }
    }
    if (!back) return conn.close();
    open.add(conn);
    open.add(back);
    const end = () => {
      for (const c of [conn, back!]) {
        open.delete(c);
        try {
          c.close();
        } catch { /* closed already */ }
      }
    };
    await Promise.race([
      conn.readable.pipeTo(back.writable).catch(() => {}),
      back.readable.pipeTo(conn.writable).catch(() => {}),
    ]);
    end();
  };
  (async () => {
    try {
      for await (const conn of listener) void forward(conn);
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close: () => {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      open.clear();
    },
  };
}
