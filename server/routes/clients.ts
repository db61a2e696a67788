/**
 * Clients and the key-package directory:
 *
 * - `POST /v1/clients` (a KeyPackage, with a proof of possession of its
 *   signature key over a challenge: `../proof.ts`): register; the client
 *   id is the hex signature key of the key package's leaf. Returns
 *   `{ clientId, token }`; only the token's SHA-256 is stored.
 * - `GET /v1/clients/me`: `{ clientId, keyPackages, lastResortKeyPackages,
 *   groups }` (valid key packages: regular ones, last-resort ones).
 * - `POST /v1/key-packages` (one or more KeyPackages): upload; each must be
 *   signed by the caller's key, of an accepted suite, and within its
 *   lifetime.
 * - `POST /v1/clients/:clientId/key-packages/claim`: take one of a client's
 *   key packages, within the claim limits (`AppOptions.keyPackageClaims`);
 *   a last-resort one is handed out and kept.
 *
 * @module
 */

import type { Hono } from "hono";
import { hashToken, newToken } from "../auth.ts";
import type { AppEnv, Services } from "../context.ts";
import { ApiError } from "../errors.ts";
import { hexParam, readMls } from "../http.ts";
import {
  inspectKeyPackage,
  type KeyPackageFacts,
  parseMessages,
} from "../mls/inspect.ts";
import { provenKeyPackage } from "../proof.ts";
import { MAX_KEY_PACKAGES_PER_UPLOAD } from "../shared/limits.ts";
import { MLS_MEDIA_TYPE } from "../shared/wire.ts";

async function validated(
  s: Services,
  body: Uint8Array,
  max: number,
): Promise<KeyPackageFacts[]> {
  const out: KeyPackageFacts[] = [];
  for (const p of parseMessages(body, max)) {
    out.push(
      await inspectKeyPackage(
        p,
        s.opts.provider,
        s.opts.cipherSuites,
        s.opts.now(),
      ),
    );
  }
  return out;
}

async function store(s: Services, kp: KeyPackageFacts): Promise<void> {
  const r = await s.store.putKeyPackage(
    kp.owner,
    {
      ref: kp.ref,
      bytes: kp.bytes,
      lastResort: kp.lastResort,
      notAfter: kp.notAfter,
    },
    s.opts.maxKeyPackagesPerClient,
  );
  if (r === "duplicate") {
    throw new ApiError(409, "duplicate_key_package", "already uploaded");
  }
  if (r === "full") {
    throw new ApiError(
      409,
      "too_many_key_packages",
      `at most ${s.opts.maxKeyPackagesPerClient} key packages per client`,
    );
  }
}

/** Adds the client and key-package routes. */
export function clientRoutes(app: Hono<AppEnv>, s: Services): void {
  app.post("/v1/clients", async (c) => {
    s.limitAnonymous(c);
    const kp = await provenKeyPackage(s, c, "register");
    const token = newToken();
    const ok = await s.store.registerClient({
      clientId: kp.owner,
      tokenHash: await hashToken(token),
      createdAt: Date.now(),
    });
    if (!ok) {
      throw new ApiError(409, "client_exists", "this client is registered");
    }
    await store(s, kp);
    return c.json({ clientId: kp.owner, token }, 201);
  });

  app.get("/v1/clients/me", s.auth, async (c) => {
    const id = c.get("clientId");
    const now = Math.floor(s.opts.now().getTime() / 1000);
    const counts = await s.store.countKeyPackagesByKind(id, now);
    return c.json({
      clientId: id,
      keyPackages: counts.regular,
      lastResortKeyPackages: counts.lastResort,
      groups: await s.store.joinedGroupsOf(id), // joined, not merely invited
    });
  });

  app.post("/v1/key-packages", s.auth, async (c) => {
    const body = await readMls(c.req.raw, s.opts.maxKeyPackageBytes);
    const kps = await validated(s, body, MAX_KEY_PACKAGES_PER_UPLOAD);
    if (kps.some((k) => k.owner !== c.get("clientId"))) {
      throw new ApiError(
        403,
        "forbidden",
        "key packages must be signed by the uploading client's key",
      );
    }
    for (const kp of kps) await store(s, kp);
    return c.json({
      stored: kps.map((k) => ({ ref: k.ref, lastResort: k.lastResort })),
    }, 201);
  });

  app.post("/v1/clients/:clientId/key-packages/claim", s.auth, async (c) => {
    const owner = hexParam(c.req.param("clientId"), "clientId");
    if (!(await s.store.hasClient(owner))) {
      throw new ApiError(404, "unknown_client", "no such client");
    }
    const now = Math.floor(s.opts.now().getTime() / 1000);
    const got = await s.store.claimKeyPackageLimited(
      owner,
      c.get("clientId"),
      now,
      s.opts.keyPackageClaims,
    );
    if (got.kind === "none") {
      throw new ApiError(404, "no_key_package", "the client has none left");
    }
    if (got.kind === "limited") {
      throw new ApiError(
        429,
        "rate_limited",
        "key-package claim limit reached, and the client has no " +
          "last-resort key package",
        { retryAfter: got.retryAfter },
      );
    }
    return c.body(got.keyPackage.bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": MLS_MEDIA_TYPE,
      "mls-key-package-ref": got.keyPackage.ref,
      "mls-key-package-last-resort": String(got.kind === "lastResort"),
    });
  });
}
