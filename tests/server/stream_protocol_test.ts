/**
 * The inbox stream answers exactly its own subprotocol: one offered only
 * with the token's is refused (some runtimes' servers would echo the
 * token's back), and the order of the offer does not matter.
 */
import assert from "node:assert/strict";
import {
  STREAM_AUTH_PREFIX,
  STREAM_PROTOCOL,
} from "../../server/shared/wire.ts";
import { client, startServer } from "./helpers.ts";

/** Opens a stream with `protocols`: its protocol once open, or `null`. */
function open(url: string, protocols: string[]): Promise<string | null> {
  const ws = new WebSocket(
    url.replace("http", "ws") + "/v1/inbox/stream",
    protocols,
  );
  return new Promise((resolve) => {
    ws.onopen = () => {
      resolve(ws.protocol);
      ws.close();
    };
    ws.onerror = () => resolve(null);
  });
}

Deno.test("server api: the stream answers webmls.v1 only, never the token's protocol", async () => {
  const server = await startServer();
  try {
    const a = await client(server.url, "a");
    const auth = STREAM_AUTH_PREFIX + a.client.token;
    assert.equal(await open(server.url, [auth]), null);
    assert.equal(
      await open(server.url, [auth, STREAM_PROTOCOL]),
      STREAM_PROTOCOL,
    );
    assert.equal(
      await open(server.url, [STREAM_PROTOCOL, auth]),
      STREAM_PROTOCOL,
    );
  } finally {
    await server.close();
  }
});
