/**
 * When a member counts as joined: once it posted to the group (the groups
 * route marks it), or once its Welcome left its inbox. Until then it is
 * only invited: anyone committing a tree can list a client in it.
 *
 * @module
 */

import type { DeliveryStore, InboxMessage } from "./store/store.ts";

/** Marks `clientId` joined in the groups whose Welcome `msgs` hand it. */
export async function joinedByWelcome(
  store: DeliveryStore,
  clientId: string,
  msgs: readonly InboxMessage[],
): Promise<void> {
  const gids = new Set(
    msgs.filter((m) => m.kind === "welcome").map((m) => m.groupId),
  );
  for (const gid of gids) await store.markJoined(gid, clientId);
}
