/**
 * The handshake policy of a group (see `AppOptions.handshakes`): the
 * deployment's, or the one the group asked for at creation
 * (`POST /v1/groups?handshakes=public`). `"public"` wins.
 *
 * @module
 */

import { badRequest } from "./errors.ts";
import type { HandshakePolicy, ResolvedOptions } from "./options.ts";
import type { GroupRecord } from "./store/store.ts";

/** The policy that applies to group `g` now. */
export function groupHandshakes(
  opts: ResolvedOptions,
  g: GroupRecord,
): HandshakePolicy {
  return opts.handshakes === "public" || g.handshakes === "public"
    ? "public"
    : "any";
}

/** The policy a new group gets from the `handshakes` query parameter. */
export function creationHandshakes(
  opts: ResolvedOptions,
  query: string | undefined,
): HandshakePolicy {
  if (query !== undefined && query !== "public" && query !== "any") {
    throw badRequest("bad_request", "handshakes is public or any");
  }
  if (query === "any" && opts.handshakes === "public") {
    throw badRequest(
      "bad_request",
      "this service requires public handshakes in every group",
    );
  }
  return opts.handshakes === "public" || query === "public" ? "public" : "any";
}
