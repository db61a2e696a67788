/**
 * The storage interface of the delivery service, shared by every store:
 * {@link MemoryStore} (tests, one process) and {@link KvStore} (Deno KV: a
 * local file for `deno task start`, the distributed KV on Deno Deploy);
 * later stores (Postgres, Durable Objects) implement the same interface and
 * pass the same tests (`tests/server/*`, which run against each store).
 *
 * The store owns every rule that needs atomicity: a handshake message for
 * epoch E is accepted only while the group is at E, and acceptance, the
 * membership change and the write of the message happen in one atomic
 * step, so no reader ever sees a group's messages out of order and no two
 * commits are accepted for one epoch. Routing is `planAccept`'s
 * (`rules.ts`). Group messages are stored once per group and read by each
 * member from its own position (fan-out on read, issue 23); what each
 * member may read is exactly what `planAccept` routes to it. One accepted
 * message wakes the subscribers of every reader of its group.
 *
 * @module
 */

/** A registered client. */
export interface ClientRecord {
  /** The client id: hex of its MLS signature public key. */
  readonly clientId: string;
  /** SHA-256 of the bearer token, hex; the token itself is never stored. */
  readonly tokenHash: string;
  /** Registration time, ms since the epoch. */
  readonly createdAt: number;
}

/** A KeyPackage in the directory. */
export interface StoredKeyPackage {
  /** KeyPackageRef, hex. */
  readonly ref: string;
  /** The KeyPackage MLSMessage as uploaded. */
  readonly bytes: Uint8Array;
  /** Whether it carries `last_resort` (kept when claimed). */
  readonly lastResort: boolean;
  /** End of its lifetime, seconds since the epoch. */
  readonly notAfter: number;
}

/** What is in an inbox entry. */
export type MessageKind = "welcome" | "commit" | "proposal" | "application";

/** A group member as the service tracks it (for routing only). */
export interface MemberRecord {
  /** Client id. */
  readonly clientId: string;
  /** The first epoch the client is a member in. */
  readonly since: number;
}

/** A group as the service sees it: an epoch, a sequence, a member list. */
export interface GroupRecord {
  /** Group id, hex. */
  readonly groupId: string;
  /** The current epoch. */
  readonly epoch: number;
  /** Messages accepted so far (the last message's sequence number). */
  readonly seq: number;
  /** Whether non-members may fetch the GroupInfo and join by external commit. */
  readonly externalJoins: boolean;
  /** The members of the current epoch. */
  readonly members: readonly MemberRecord[];
  /**
   * `"public"`: handshake messages must be PublicMessages, verified against
   * the group's public state. Absent: `"any"`.
   */
  readonly handshakes?: "public" | "any";
}

/** A message delivered to an inbox. */
export interface InboxMessage {
  /** Opaque, totally ordered position in the inbox. */
  readonly cursor: string;
  /** The group it belongs to (hex). */
  readonly groupId: string;
  /** Its kind. */
  readonly kind: MessageKind;
  /** The epoch it was sent in (for a Welcome: the epoch it joins). */
  readonly epoch: number;
  /** The group's sequence number of the message. */
  readonly seq: number;
  /** The MLSMessage bytes. */
  readonly bytes: Uint8Array;
}

/** A group to create. */
export interface NewGroup {
  /** Group id, hex. */
  readonly groupId: string;
  /** Its epoch (0 for a fresh group). */
  readonly epoch: number;
  /** The creator and any other leaves of its tree. */
  readonly members: readonly string[];
  /** The GroupInfo of that epoch. */
  readonly groupInfo: Uint8Array;
  /** Allow external joins. */
  readonly externalJoins: boolean;
  /** The group's handshake policy (default `"any"`). */
  readonly handshakes?: "public" | "any";
  /** Members that have joined already (the creator); the others are invited. */
  readonly joined?: readonly string[];
}

/** A message to accept into a group and fan out. */
export interface AcceptRequest {
  /** Group id, hex. */
  readonly groupId: string;
  /** The authenticated client posting it. */
  readonly poster: string;
  /** Commit, proposal or application message. */
  readonly kind: "commit" | "proposal" | "application";
  /** The epoch the message was sent in. */
  readonly epoch: number;
  /** The MLSMessage. */
  readonly message: Uint8Array;
  /** Commits: the members of the next epoch (from the signed GroupInfo). */
  readonly nextMembers?: readonly string[];
  /** Commits: the GroupInfo of the next epoch. */
  readonly groupInfo?: Uint8Array;
  /** Commits: the Welcome and the clients it is for. */
  readonly welcome?: {
    readonly bytes: Uint8Array;
    readonly recipients: readonly string[];
  };
  /** An external commit: the poster need not be a member. */
  readonly external?: boolean;
  /**
   * A PublicMessage proposal the service verified: kept, under this
   * ProposalRef (hex), for commits of the same epoch that reference it.
   */
  readonly proposalRef?: string;
}

/** Why a message was not accepted. */
export type RejectReason =
  | "unknown_group"
  | "not_member"
  | "epoch_conflict"
  | "external_joins_disabled"
  | "group_too_large";

/** The outcome of {@link DeliveryStore.accept}. */
export type AcceptResult =
  | { readonly ok: true; readonly epoch: number; readonly seq: number }
  | {
    readonly ok: false;
    readonly reason: RejectReason;
    /** The group's current epoch, when the group exists. */
    readonly epoch?: number;
  };

/** The outcome of {@link DeliveryStore.putKeyPackage}. */
export type PutKeyPackageResult = "stored" | "duplicate" | "full";

/**
 * Limits on handing out a client's regular key packages, per fixed window
 * of time (RFC 9420 §16.8: the directory SHOULD rate-limit key-package
 * requests). Last-resort packages are not counted.
 */
export interface ClaimLimits {
  /** Length of a window, seconds (windows are aligned to multiples of it). */
  readonly windowSeconds: number;
  /** Regular key packages one requester may take of one target per window. */
  readonly perPair: number;
  /** Regular key packages one requester may take in total per window. */
  readonly perRequester: number;
  /** Regular key packages of one target handed out in total per window. */
  readonly perTarget: number;
}

/** The outcome of {@link DeliveryStore.claimKeyPackageLimited}. */
export type ClaimResult =
  | {
    /** A regular package (now removed) or a last-resort one (kept). */
    readonly kind: "regular" | "lastResort";
    /** The key package. */
    readonly keyPackage: StoredKeyPackage;
  }
  | {
    /** Over a limit, and the target has no last-resort package. */
    readonly kind: "limited";
    /** Seconds until the current window ends. */
    readonly retryAfter: number;
  }
  | {
    /** The target has no valid key package. */
    readonly kind: "none";
  };

/** How many valid key packages a client has in the directory, by kind. */
export interface KeyPackageCounts {
  /** Regular (single-use) ones. */
  readonly regular: number;
  /** Last-resort ones. */
  readonly lastResort: number;
}

/** A live subscription to one inbox's changes. */
export interface InboxSubscription {
  /**
   * Resolves `true` as soon as something was added to the inbox since the
   * subscription started or since the previous call returned `true`;
   * `false` after `timeoutMs` or when the subscription is closed.
   */
  changed(timeoutMs: number): Promise<boolean>;
  /**
   * Whether the subscription ended (closed by its owner, or by the store
   * closing): `changed` then returns `false` at once, forever.
   */
  readonly closed: boolean;
  /** Ends the subscription. */
  close(): void;
}

/** The delivery service's storage. */
export interface DeliveryStore {
  /** Adds a client; false if the id is taken. */
  registerClient(record: ClientRecord): Promise<boolean>;
  /** The client a token hash belongs to. */
  clientByTokenHash(tokenHash: string): Promise<string | null>;
  /** Whether a client is registered. */
  hasClient(clientId: string): Promise<boolean>;

  /** Stores a key package for `owner` (at most `max` per client). */
  putKeyPackage(
    owner: string,
    keyPackage: StoredKeyPackage,
    max: number,
  ): Promise<PutKeyPackageResult>;
  /**
   * Takes one of `owner`'s key packages that is valid at `nowSeconds`:
   * a regular one is removed atomically (two claims never get the same
   * one); a last-resort one is handed out and kept.
   */
  claimKeyPackage(
    owner: string,
    nowSeconds: number,
  ): Promise<StoredKeyPackage | null>;
  /** How many key packages `owner` has in the directory. */
  countKeyPackages(owner: string): Promise<number>;
  /** The owners of KeyPackageRefs (claimed ones included), `null` if unknown. */
  keyPackageOwners(refs: readonly string[]): Promise<(string | null)[]>;

  /** Creates a group; false if the id is taken. */
  createGroup(group: NewGroup): Promise<boolean>;
  /** A group, or `null`. */
  getGroup(groupId: string): Promise<GroupRecord | null>;
  /** The groups a client is a member of. */
  groupsOf(clientId: string): Promise<string[]>;
  /** Accepts a message and fans it out, atomically; see {@link AcceptRequest}. */
  accept(request: AcceptRequest): Promise<AcceptResult>;
  /** Replaces the GroupInfo of the current epoch (checked: same epoch). */
  putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult>;
  /** The latest GroupInfo. */
  getGroupInfo(
    groupId: string,
  ): Promise<{ epoch: number; bytes: Uint8Array } | null>;

  /**
   * Up to `limit` inbox messages after `after` (from the start if absent),
   * at a cost proportional to `limit`. Everything accepted before the call
   * is included, unless `woken`: the caller was just woken by this store's
   * subscription (see {@link InboxSubscription}), and needs only what was
   * delivered before that wake-up (a store may then skip work).
   */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
    woken?: boolean,
  ): Promise<InboxMessage[]>;
  /**
   * Acknowledges the inbox messages up to and including `cursor` (they are
   * never fetched again); returns how many.
   */
  ack(clientId: string, cursor: string): Promise<number>;
  /**
   * Acknowledges these delivered messages (by cursor): the cheap
   * acknowledgement of a stream that knows what it sent. A store may keep
   * one that follows a message not yet acknowledged until that one is.
   */
  forget(clientId: string, cursors: readonly string[]): Promise<void>;
  /** Subscribes to additions to an inbox (for long polling and streams). */
  subscribe(clientId: string): Promise<InboxSubscription>;

  /** Releases resources. */
  close(): void | Promise<void>;

  // Registration proofs, token rotation, limited claims (issue 12).

  /**
   * Remembers a challenge issued at `now` (ms since the epoch) for `ttlMs`
   * milliseconds.
   */
  putChallenge(challenge: string, now: number, ttlMs: number): Promise<void>;
  /**
   * Consumes a challenge, atomically: true exactly once, and only if it was
   * issued and has not expired at `now` (ms since the epoch).
   */
  takeChallenge(challenge: string, now: number): Promise<boolean>;
  /**
   * Replaces a client's token hash, atomically: the old token stops
   * working in the same step. False if the client is unknown.
   */
  rotateToken(clientId: string, tokenHash: string): Promise<boolean>;
  /**
   * Like {@link DeliveryStore.claimKeyPackage}, for `requester`, within
   * `limits`: a regular package is taken (and counted) only while every
   * count of the current window is below its limit, in the same atomic
   * step; otherwise a last-resort package is handed out (kept, not
   * counted), or the result is `limited`. `false`: no limits.
   */
  claimKeyPackageLimited(
    owner: string,
    requester: string,
    nowSeconds: number,
    limits: ClaimLimits | false,
  ): Promise<ClaimResult>;
  /** `owner`'s key packages valid at `nowSeconds`, by kind. */
  countKeyPackagesByKind(
    owner: string,
    nowSeconds: number,
  ): Promise<KeyPackageCounts>;
  /**
   * A PublicMessage proposal accepted with `proposalRef` in `epoch` (while
   * that is the group's epoch), or `null`.
   */
  getProposal(
    groupId: string,
    epoch: number,
    ref: string,
  ): Promise<Uint8Array | null>;
  /**
   * Marks a member as joined: it posted to the group, or fetched its
   * Welcome. Until then a member is only invited (listed in someone's tree).
   * Nothing happens for a non-member; a removed and re-added member is
   * invited again.
   */
  markJoined(groupId: string, clientId: string): Promise<void>;
  /** The members of a group that have joined (a subset of its members). */
  joinedMembers(groupId: string): Promise<string[]>;
  /** The groups a client has joined (a subset of {@link groupsOf}). */
  joinedGroupsOf(clientId: string): Promise<string[]>;

  /**
   * Optional: the store serves a client's inbox stream itself, because
   * the inbox lives where a socket can be held (the Cloudflare Workers
   * store's inbox Durable Object). The app authenticates the request and
   * parses `after`, then returns the store's answer to the upgrade; the
   * store enforces `maxStreams` per client, and sends the app's stream
   * frames and pings.
   */
  openStream?(
    clientId: string,
    after: string | undefined,
    options: StreamOptions,
  ): Promise<Response>;
}

/** How {@link DeliveryStore.openStream} serves a stream. */
export interface StreamOptions {
  /** The subprotocol to answer with, if any. */
  readonly protocol?: string;
  /** Interval of `{ "type": "ping" }` frames, ms. */
  readonly pingMs: number;
  /** Streams one client may have open. */
  readonly maxStreams: number;
}
