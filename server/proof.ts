/**
 * The service's side of proofs of possession (see `shared/proof.ts` for
 * the signed structure): it issues single-use, expiring challenges, and
 * accepts a key package as a client's only after its leaf's signature key
 * signed this deployment's origin and a challenge it issued and that is
 * still unused. Registration and token rotation or recovery both go
 * through {@link provenKeyPackage}.
 *
 * @module
 */

import { verifyWithLabel } from "../src/crypto/labeled.ts";
import { WireFormat } from "../src/framing/wire_format.ts";
import { fromHex, toHex } from "../src/util/bytes.ts";
import type { Ctx, Services } from "./context.ts";
import { ApiError, badRequest } from "./errors.ts";
import { readMls } from "./http.ts";
import {
  inspectKeyPackage,
  type KeyPackageFacts,
  parseMessages,
} from "./mls/inspect.ts";
import { fromBase64 } from "./shared/base64.ts";
import {
  CHALLENGE_HEADER,
  isChallenge,
  PROOF_LABEL,
  proofContent,
  type ProofPurpose,
  SIGNATURE_HEADER,
  type WireChallenge,
} from "./shared/proof.ts";

/** Issues a challenge: 32 random bytes, valid once, for the configured TTL. */
export async function issueChallenge(s: Services): Promise<WireChallenge> {
  const challenge = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const ttl = s.opts.challengeTtlSeconds;
  await s.store.putChallenge(challenge, s.opts.now().getTime(), ttl * 1000);
  return { challenge, expiresIn: ttl };
}

/** The origin proofs must name here: configured, else the request's. */
function originOf(s: Services, c: Ctx): string {
  return s.opts.origin ?? new URL(c.req.url).origin;
}

function forbidden(code: "invalid_proof" | "invalid_challenge", m: string) {
  return new ApiError(403, code, m);
}

/**
 * Reads a request whose body is one KeyPackage and whose headers carry a
 * proof for `purpose`. In this order: the key package is validated (as
 * any upload); the signature must verify under its leaf's signature key
 * over `purpose`, this deployment's origin and the challenge; then the
 * challenge is consumed (atomically: a second use fails). Returns the key
 * package; its `owner` is the proven client id.
 */
export async function provenKeyPackage(
  s: Services,
  c: Ctx,
  purpose: ProofPurpose,
): Promise<KeyPackageFacts> {
  const body = await readMls(c.req.raw, s.opts.maxKeyPackageBytes);
  const [p] = parseMessages(body, 1);
  const kp = await inspectKeyPackage(
    p,
    s.opts.provider,
    s.opts.cipherSuites,
    s.opts.now(),
  );
  if (p.msg.wireFormat !== WireFormat.mlsKeyPackage) {
    throw badRequest("unexpected_message", "expected a KeyPackage");
  }
  const challenge = c.req.header(CHALLENGE_HEADER);
  const signature = c.req.header(SIGNATURE_HEADER);
  if (challenge === undefined || signature === undefined) {
    throw badRequest(
      "challenge_required",
      `get a challenge (POST /v1/clients/challenge) and send it in ` +
        `${CHALLENGE_HEADER} with its signature in ${SIGNATURE_HEADER}`,
    );
  }
  if (!isChallenge(challenge)) {
    throw forbidden("invalid_challenge", "malformed challenge");
  }
  let ok = false;
  try {
    ok = await verifyWithLabel(
      await s.opts.provider.suite(p.msg.keyPackage.cipherSuite),
      fromHex(kp.owner),
      PROOF_LABEL,
      proofContent(purpose, originOf(s, c), challenge),
      fromBase64(signature),
    );
  } catch {
    ok = false; // undecodable signature
  }
  if (!ok) {
    throw forbidden(
      "invalid_proof",
      `the signature does not verify for ${purpose} at ${originOf(s, c)}`,
    );
  }
  // Only a valid proof spends the challenge: garbage cannot burn it.
  if (!(await s.store.takeChallenge(challenge, s.opts.now().getTime()))) {
    throw forbidden(
      "invalid_challenge",
      "the challenge is unknown, expired or already used",
    );
  }
  return kp;
}
