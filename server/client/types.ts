/**
 * The option, event and handle types of `DeliveryClient`.
 *
 * @module
 */

import type {
  CredentialInfo,
  GroupView,
  Identity,
  KeyPackageCapabilities,
  MLS,
  Received,
} from "../../mod.ts";
import type { InboxEntry } from "./http.ts";
import type { RetryPolicy } from "./retry.ts";

/** What the client reports while it processes its inbox. */
export type DeliveryEvent =
  | {
    /** Joined a group from a Welcome. */
    readonly type: "joined";
    /** The group id, hex. */
    readonly groupId: string;
    /** The new group view. */
    readonly group: GroupView;
  }
  | {
    /** Processed a group message. */
    readonly type: "received";
    /** The group id, hex. */
    readonly groupId: string;
    /** The group view. */
    readonly group: GroupView;
    /** What `receive()` returned. */
    readonly received: Received;
  }
  | {
    /**
     * A commit of the current epoch could not be processed (see `error`),
     * so the client rejoined by external-commit resync from the group's
     * published GroupInfo.
     */
    readonly type: "recovered";
    /** The group id, hex. */
    readonly groupId: string;
    /** The group view after the resync. */
    readonly group: GroupView;
    /** Why the commit could not be processed. */
    readonly error: unknown;
  }
  | {
    /**
     * A commit of the current epoch could not be processed and the client
     * could not rejoin on its own (no external joins, or the application
     * refused the commit): someone must add it again.
     */
    readonly type: "needs_rejoin";
    /** The group id, hex. */
    readonly groupId: string;
    /** Why the commit could not be processed. */
    readonly error: unknown;
    /** Why the resync failed, when one was tried. */
    readonly resyncError?: unknown;
  }
  | {
    /**
     * This client committed, but posting the new epoch's sealed exports
     * to the key export service failed: the commit stands; post them again
     * with `DeliveryClient.postExports` (any member may).
     */
    readonly type: "exports_failed";
    /** The group id, hex. */
    readonly groupId: string;
    /** What was thrown. */
    readonly error: unknown;
  }
  | {
    /**
     * A message could not be processed: for good (`skipped`), or for now
     * (the client's storage or the network failed and retries did not
     * help: the client stopped at the message and tries it again on the
     * next `sync()` or stream reconnection).
     */
    readonly type: "error";
    /** The group id, hex. */
    readonly groupId: string;
    /** The message's kind. */
    readonly kind: InboxEntry["kind"];
    /** What was thrown. */
    readonly error: unknown;
    /**
     * `true`: the message can never be processed and was skipped (its
     * failure is permanent); `false`: it failed for a transient reason,
     * stays in the inbox unacknowledged, and nothing after it is processed
     * before it.
     */
    readonly skipped: boolean;
  };

/**
 * How a `DeliveryClient` keeps its key packages in the directory: after
 * processing a Welcome, and on a sync when it last looked more than
 * `keyPackageCheckSeconds` ago (or never), it reads the count and uploads
 * regular key packages up to `keyPackages`, and a last-resort one if none
 * is valid.
 */
export interface KeyPackagePolicy {
  /** Regular key packages to keep there (default 3; 0: none are added). */
  keyPackages?: number;
  /** Keep a last-resort key package there (default true; RFC 9420 §16.8). */
  lastResort?: boolean;
  /** Re-read the count on a sync at most this often, seconds (default 300). */
  keyPackageCheckSeconds?: number;
  /**
   * What this client's key packages (and the leaf of groups it creates)
   * advertise, e.g. an application's group context extension type, which
   * every member must list (RFC 9420 §13.4). Default: the library's.
   */
  capabilities?: KeyPackageCapabilities;
}

/** Options of `DeliveryClient.connect`. */
export interface DeliveryClientOptions extends KeyPackagePolicy {
  /** Base URL of the service. */
  url: string;
  /** The MLS instance (its storage keeps identity, groups, the cursor). */
  mls: MLS;
  /** This client's identity (or its client id). */
  identity: Identity | string;
  /** The credential used for new groups and external joins. */
  credential: CredentialInfo;
  /** The bearer token from registration. */
  token: string;
  /** Called for each processed inbox message. */
  onEvent?: (event: DeliveryEvent) => void;
  /** How often a commit is retried after `epoch_conflict` (default 8). */
  maxRetries?: number;
  /**
   * How a step that failed for a transient reason (storage, network) is
   * retried before the client stops at the message (see `RetryPolicy`).
   */
  retry?: RetryPolicy;
}

/** Options of `DeliveryClient.recover`: those of `connect`, less the token. */
export type RecoverOptions = Omit<DeliveryClientOptions, "token">;

/**
 * Options of `DeliveryClient.register`. `keyPackages` regular key packages
 * (and a last-resort one) are published right after registering.
 */
export interface RegisterOptions extends KeyPackagePolicy {
  /** Name for a new basic credential (default: the client id). */
  name?: string;
  /** An existing identity (default: a new one). */
  identity?: Identity;
  /** An existing credential. */
  credential?: CredentialInfo;
  /** See `DeliveryClientOptions.onEvent`. */
  onEvent?: (event: DeliveryEvent) => void;
  /** See `DeliveryClientOptions.maxRetries`. */
  maxRetries?: number;
  /** See `DeliveryClientOptions.retry`. */
  retry?: RetryPolicy;
}

/** Handle of a running `DeliveryClient.listen`. */
export interface Listener {
  /** Stops listening. */
  close(): void;
}
