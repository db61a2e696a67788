/**
 * Groups:
 *
 * - `POST /v1/groups[?external=true][&handshakes=public]` (the creator's
 *   GroupInfo, with the ratchet tree, validated as a joiner would): create;
 *   the tree's leaves are routed to, the creator has joined, the others are
 *   invited.
 * - `GET /v1/groups`: the groups the caller joined, and those it is only
 *   invited to. `GET /v1/groups/:groupId`: epoch, policy, joined members
 *   and invited ones (for them only).
 * - `POST /v1/groups/:groupId/messages`: a group message, or a commit
 *   bundle (commit, optional Welcome, GroupInfo of the next epoch); see
 *   `mls/post.ts`, then `mls/verify_post.ts` for what is verified against
 *   the public state. A handshake message for epoch E is accepted only
 *   while the group is at E: `409 epoch_conflict` with the current `epoch`
 *   otherwise. Posting marks the poster joined.
 * - `GET /v1/groups/:groupId/group-info`, `PUT` the same: the latest
 *   GroupInfo (fetch: members, or anyone when external joins are allowed;
 *   republish: the same public state only).
 *
 * @module
 */

import type { Hono } from "hono";
import { WireFormat } from "../../src/framing/wire_format.ts";
import type { AppEnv, Ctx, Services } from "../context.ts";
import { ApiError, badRequest } from "../errors.ts";
import { hexParam, readMls } from "../http.ts";
import { inspectGroupInfo, parseMessages } from "../mls/inspect.ts";
import { checkSameState } from "../mls/group_info_match.ts";
import { checkPost, isExternalCommit } from "../mls/post.ts";
import { loadPublicState, validateFirstState } from "../mls/public_state.ts";
import { verifyPost } from "../mls/verify_post.ts";
import { creationHandshakes, groupHandshakes } from "../handshake_policy.ts";
import { MLS_MEDIA_TYPE } from "../shared/wire.ts";
import type { AcceptResult, GroupRecord } from "../store/store.ts";

function rejected(r: Extract<AcceptResult, { ok: false }>): ApiError {
  switch (r.reason) {
    case "unknown_group":
      return new ApiError(404, "unknown_group", "no such group");
    case "not_member":
      return new ApiError(403, "not_member", "not a member of this group");
    case "external_joins_disabled":
      return new ApiError(
        403,
        "external_joins_disabled",
        "this group does not allow external joins",
      );
    case "group_too_large":
      return new ApiError(413, "group_too_large", "too many recipients");
    case "epoch_conflict":
      return new ApiError(
        409,
        "epoch_conflict",
        `the group is at epoch ${r.epoch}`,
        { epoch: r.epoch },
      );
  }
}

async function group(s: Services, c: Ctx): Promise<GroupRecord> {
  const gid = hexParam(c.req.param("groupId"), "groupId");
  const g = await s.store.getGroup(gid);
  if (!g) throw new ApiError(404, "unknown_group", "no such group");
  return g;
}

function isMember(g: GroupRecord, clientId: string): boolean {
  return g.members.some((m) => m.clientId === clientId);
}

async function groupInfoOf(s: Services, body: Uint8Array) {
  const [p] = parseMessages(body, 1);
  if (p.msg.wireFormat !== WireFormat.mlsGroupInfo) {
    throw badRequest("unexpected_message", "expected a GroupInfo");
  }
  const facts = await inspectGroupInfo(
    p.msg.groupInfo,
    s.opts.provider,
    s.opts.cipherSuites,
  );
  return { facts, bytes: p.bytes, info: p.msg.groupInfo };
}

/** Adds the group routes. */
export function groupRoutes(app: Hono<AppEnv>, s: Services): void {
  app.post("/v1/groups", s.auth, async (c) => {
    const me = c.get("clientId");
    const body = await readMls(c.req.raw, s.opts.maxMessageBytes);
    const handshakes = creationHandshakes(s.opts, c.req.query("handshakes"));
    const { facts, bytes, info } = await groupInfoOf(s, body);
    if (facts.signer !== me) {
      throw new ApiError(403, "signer_mismatch", "sign the GroupInfo yourself");
    }
    // The group's first public state: validated as a joiner would.
    await validateFirstState(s.opts.provider, info, s.opts.now());
    const ok = await s.store.createGroup({
      groupId: facts.groupId,
      epoch: facts.epoch,
      members: facts.members,
      groupInfo: bytes,
      externalJoins: c.req.query("external") === "true",
      handshakes,
      joined: [me],
    });
    if (!ok) throw new ApiError(409, "group_exists", "the group id is taken");
    return c.json({
      groupId: facts.groupId,
      epoch: facts.epoch,
      handshakes,
      members: [me],
      invited: facts.members.filter((m) => m !== me),
    }, 201);
  });

  // Listed as a member once joined (posted, or fetched the Welcome); a
  // client someone merely put into a tree is only invited.
  app.get("/v1/groups", s.auth, async (c) => {
    const me = c.get("clientId");
    const joined = await s.store.joinedGroupsOf(me);
    const invited = (await s.store.groupsOf(me))
      .filter((g) => !joined.includes(g));
    return c.json({ groups: joined, invited });
  });

  app.get("/v1/groups/:groupId", s.auth, async (c) => {
    const g = await group(s, c);
    if (!isMember(g, c.get("clientId"))) {
      throw new ApiError(403, "not_member", "not a member of this group");
    }
    const joined = new Set(await s.store.joinedMembers(g.groupId));
    const all = g.members.map((m) => m.clientId);
    return c.json({
      groupId: g.groupId,
      epoch: g.epoch,
      externalJoins: g.externalJoins,
      handshakes: groupHandshakes(s.opts, g),
      members: all.filter((m) => joined.has(m)),
      invited: all.filter((m) => !joined.has(m)),
    });
  });

  app.post("/v1/groups/:groupId/messages", s.auth, async (c) => {
    const gid = hexParam(c.req.param("groupId"), "groupId");
    const body = await readMls(c.req.raw, s.opts.maxMessageBytes);
    const parts = parseMessages(body, 3);
    // Cheap refusals first: unknown group 404, non-member 403.
    const g = await s.store.getGroup(gid);
    if (!g) throw new ApiError(404, "unknown_group", "no such group");
    const me = c.get("clientId");
    if (!isMember(g, me)) {
      if (!isExternalCommit(parts[0])) {
        throw new ApiError(403, "not_member", "not a member of this group");
      }
      if (!g.externalJoins) {
        throw rejected({ ok: false, reason: "external_joins_disabled" });
      }
    }
    const req = await checkPost(parts, {
      groupId: gid,
      poster: me,
      provider: s.opts.provider,
      suites: s.opts.cipherSuites,
      store: s.store,
    });
    const keep = await verifyPost(parts, req, {
      store: s.store,
      provider: s.opts.provider,
      poster: me,
      handshakes: groupHandshakes(s.opts, g),
      now: s.opts.now(),
    });
    const r = await s.store.accept({ ...req, ...keep });
    if (!r.ok) throw rejected(r);
    await s.store.markJoined(gid, me); // it posted: it has joined
    return c.json({ epoch: r.epoch, seq: r.seq }, 201);
  });

  app.get("/v1/groups/:groupId/group-info", s.auth, async (c) => {
    const g = await group(s, c);
    if (!g.externalJoins && !isMember(g, c.get("clientId"))) {
      throw new ApiError(403, "not_member", "not a member of this group");
    }
    const gi = await s.store.getGroupInfo(g.groupId);
    if (!gi) throw new ApiError(404, "not_found", "no GroupInfo");
    return c.body(gi.bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": MLS_MEDIA_TYPE,
      "mls-epoch": String(gi.epoch),
    });
  });

  app.put("/v1/groups/:groupId/group-info", s.auth, async (c) => {
    const g = await group(s, c);
    const me = c.get("clientId");
    if (!isMember(g, me)) {
      throw new ApiError(403, "not_member", "not a member of this group");
    }
    const body = await readMls(c.req.raw, s.opts.maxMessageBytes);
    const { facts, bytes, info } = await groupInfoOf(s, body);
    if (facts.groupId !== g.groupId) {
      throw badRequest("group_mismatch", "a GroupInfo of another group");
    }
    if (facts.signer !== me) {
      throw new ApiError(403, "signer_mismatch", "sign the GroupInfo yourself");
    }
    const state = await loadPublicState(s.store, s.opts.provider, g.groupId);
    if (!state || state.epoch !== facts.epoch) {
      throw rejected({
        ok: false,
        reason: "epoch_conflict",
        epoch: state?.epoch ?? g.epoch,
      });
    }
    checkSameState(info, state); // it republishes the state, never replaces it
    const same = new Set(g.members.map((m) => m.clientId));
    if (
      facts.members.length !== same.size ||
      facts.members.some((m) => !same.has(m))
    ) {
      throw badRequest("group_mismatch", "the GroupInfo's members differ");
    }
    const r = await s.store.putGroupInfo(g.groupId, facts.epoch, bytes);
    if (!r.ok) throw rejected(r);
    return c.json({ epoch: facts.epoch });
  });
}
