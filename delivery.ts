/**
 * webmls delivery: the client binding of the webmls delivery service.
 * {@link DeliveryClient} connects an `MLS` instance to the service (see
 * `server/README.md` for the HTTP protocol): it registers, publishes key
 * packages, creates groups, sends commits in the service's order (retrying
 * after `409 epoch_conflict`), and feeds every inbox message to the group's
 * `receive()`.
 *
 * @example Two clients, one group
 * ```ts ignore
 * import { MLS } from "@webmls/mls";
 * import { DeliveryClient } from "@webmls/mls/delivery";
 *
 * const url = "http://127.0.0.1:8080";
 * const alice = await DeliveryClient.register(url, new MLS(), { name: "alice" });
 * const bob = await DeliveryClient.register(url, new MLS(), { name: "bob" });
 * const group = await alice.createGroup();
 * await alice.add(group.groupId, [bob.clientId]);
 * await bob.sync();                        // joins from the Welcome
 * await alice.send(group.groupId, "hello");
 * bob.onEvent = (e) => {
 *   if (e.type === "received" && e.received.type === "application") {
 *     console.log(e.received.text());
 *   }
 * };
 * await bob.sync();
 * ```
 *
 * @module
 */

export {
  commitBundle,
  DeliveryClient,
  type DeliveryClientOptions,
  type DeliveryEvent,
  type KeyPackageCount,
  type KeyPackagePolicy,
  type Listener,
  type RecoverOptions,
  type RegisterOptions,
  type RetryPolicy,
} from "./server/client/delivery_client.ts";
export {
  type ClientInfo,
  DeliveryError,
  DeliveryHttp,
  type InboxEntry,
  type InboxPage,
  type NamedClient,
  type Proof,
} from "./server/client/http.ts";
export { MLS_MEDIA_TYPE } from "./server/shared/wire.ts";
export { MAX_KEY_PACKAGES_PER_UPLOAD } from "./server/shared/limits.ts";
export {
  checkName,
  MAX_NAME_LENGTH,
  MIN_NAME_LENGTH,
  type NameCheck,
} from "./server/shared/names.ts";
export {
  PROOF_LABEL,
  proofContent,
  type ProofPurpose,
  type WireChallenge,
  type WireToken,
} from "./server/shared/proof.ts";
// The library's types that the client's signatures use, so that this entry
// point documents itself; the values stay in the main entry point.
export type * from "./mod.ts";
