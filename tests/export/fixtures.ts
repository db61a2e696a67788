/**
 * Test fixtures of the key export service: a delivery service with export
 * routes, two members (Alice, Bob) in a group, and a consumer's keys.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AppOptions } from "../../server/options.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { MemoryExportStore } from "../../server/exports/memory_store.ts";
import type { ExportStore } from "../../server/exports/store.ts";
import {
  client,
  type Running,
  startServer,
  type TestClient,
} from "../server/helpers.ts";
import { type ConsumerKeys, generateConsumerKeys } from "../../export.ts";
import type { ExportGrantInfo, GroupView } from "../../mod.ts";

/** What {@link groupWithServer} sets up. */
export interface Fixture {
  server: Running;
  exports: ExportStore;
  alice: TestClient;
  bob: TestClient;
  groupId: string;
  close(): Promise<void>;
}

/** A server with export routes, Alice and Bob in a group. */
export async function groupWithServer(
  options: AppOptions = {},
  exports: ExportStore = new MemoryExportStore(),
): Promise<Fixture> {
  const server = await startServer(new MemoryStore(), {
    exports,
    ...options,
  });
  const alice = await client(server.url, "alice");
  const bob = await client(server.url, "bob");
  const g = await alice.client.createGroup();
  await alice.client.add(g.groupId, [bob.client.clientId]);
  await bob.client.sync();
  return {
    server,
    exports,
    alice,
    bob,
    groupId: g.groupId,
    close: async () => {
      await server.close();
      await exports.close();
    },
  };
}

/** The consumer input of `authorizeConsumer` for `keys`. */
export function consumerInput(
  id: string,
  keys: ConsumerKeys,
  exports: ExportGrantInfo[] = [
    { label: "media", context: "call-1", length: 32 },
  ],
) {
  return {
    id,
    hpkePublicKey: keys.hpkePublicKey,
    signaturePublicKey: keys.signaturePublicKey,
    exports,
  };
}

/** Fresh consumer keys of suite 1. */
export function consumerKeys(): Promise<ConsumerKeys> {
  return generateConsumerKeys(1);
}

/** A member's view, asserted present. */
export async function view(c: TestClient, groupId: string): Promise<GroupView> {
  const g = await c.client.group(groupId);
  assert.ok(g);
  return g;
}

/** Whether `needle` occurs in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
