/**
 * Challenges and bearer tokens by proof of possession (`../proof.ts`):
 *
 * - `POST /v1/clients/challenge`: `{ challenge, expiresIn }`, a fresh
 *   single-use challenge for `POST /v1/clients` or `POST /v1/clients/token`.
 * - `POST /v1/clients/token` (a KeyPackage with a proof for `"token"`):
 *   a new token for the client the key package names, replacing (and so
 *   revoking) its current one in one atomic step. It needs no bearer
 *   token, so it also recovers a lost one. The key package is stored like
 *   an upload when there is room for it.
 *
 * Both are unauthenticated and rate-limited per remote address.
 *
 * @module
 */

import type { Hono } from "hono";
import { hashToken, newToken } from "../auth.ts";
import type { AppEnv, Services } from "../context.ts";
import { ApiError } from "../errors.ts";
import { issueChallenge, provenKeyPackage } from "../proof.ts";
import type { WireToken } from "../shared/proof.ts";

/** Adds the challenge and token routes. */
export function tokenRoutes(app: Hono<AppEnv>, s: Services): void {
  app.post("/v1/clients/challenge", async (c) => {
    s.limitAnonymous(c);
    return c.json(await issueChallenge(s), 201);
  });

  app.post("/v1/clients/token", async (c) => {
    s.limitAnonymous(c);
    const kp = await provenKeyPackage(s, c, "token");
    const token = newToken();
    if (!(await s.store.rotateToken(kp.owner, await hashToken(token)))) {
      throw new ApiError(404, "unknown_client", "no such client: register");
    }
    // A fresh key package is welcome; "full" or "duplicate" are no error.
    await s.store.putKeyPackage(
      kp.owner,
      {
        ref: kp.ref,
        bytes: kp.bytes,
        lastResort: kp.lastResort,
        notAfter: kp.notAfter,
      },
      s.opts.maxKeyPackagesPerClient,
    );
    const out: WireToken = { clientId: kp.owner, token };
    return c.json(out, 200);
  });
}
