/**
 * A thin typed wrapper over the delivery service's HTTP API (one method per
 * route). {@link DeliveryClient} builds on it; it is exported for apps that
 * want to drive the protocol themselves.
 *
 * @module
 */

import { fromBase64, toBase64 } from "../shared/base64.ts";
import {
  CHALLENGE_HEADER,
  SIGNATURE_HEADER,
  type WireChallenge,
  type WireToken,
} from "../shared/proof.ts";
import {
  MLS_MEDIA_TYPE,
  STREAM_AUTH_PREFIX,
  STREAM_PROTOCOL,
  type WireError,
  type WireInbox,
} from "../shared/wire.ts";

/** An error response of the delivery service. */
export class DeliveryError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** The service's stable error code (e.g. `epoch_conflict`). */
  readonly code: string;
  /** For `epoch_conflict`: the group's current epoch. */
  readonly epoch?: number;

  /**
   * An error from a response.
   *
   * @param status HTTP status
   * @param code stable code
   * @param message explanation
   * @param epoch the group's epoch, for conflicts
   */
  constructor(status: number, code: string, message: string, epoch?: number) {
    super(message);
    this.name = "DeliveryError";
    this.status = status;
    this.code = code;
    this.epoch = epoch;
  }
}

/** A message from an inbox, bytes decoded. */
export interface InboxEntry {
  /** Position in the inbox. */
  readonly cursor: string;
  /** Group id, hex. */
  readonly groupId: string;
  /** `welcome`, `commit`, `proposal` or `application`. */
  readonly kind: "welcome" | "commit" | "proposal" | "application";
  /** The epoch it was sent in. */
  readonly epoch: number;
  /** The MLSMessage. */
  readonly bytes: Uint8Array;
}

/** A page of inbox messages. */
export interface InboxPage {
  /** The messages, oldest first. */
  readonly messages: InboxEntry[];
  /** Where the page ends (pass as `after` next time). */
  readonly cursor: string | null;
}

/** Decodes one JSON inbox message. */
export function inboxEntry(m: WireInbox["messages"][number]): InboxEntry {
  return {
    cursor: m.cursor,
    groupId: m.groupId,
    kind: m.kind,
    epoch: m.epoch,
    bytes: fromBase64(m.message),
  };
}

/**
 * A proof of possession of a key package's signature key (see
 * `server/shared/proof.ts`): the service's challenge and the signature.
 */
export interface Proof {
  /** The challenge from {@link DeliveryHttp.challenge}, hex. */
  readonly challenge: string;
  /** SignWithLabel over the proof content, by the key package's leaf key. */
  readonly signature: Uint8Array;
}

/** `GET /v1/clients/me`. */
export interface ClientInfo {
  /** This client's id. */
  readonly clientId: string;
  /** Regular key packages (valid, unclaimed) in the directory. */
  readonly keyPackages: number;
  /** Last-resort key packages (valid) in the directory. */
  readonly lastResortKeyPackages: number;
  /** The groups this client is a member of. */
  readonly groups: string[];
}

/** A display name and the client that has it. */
export interface NamedClient {
  /** The client id. */
  readonly clientId: string;
  /** The display name (NFC). */
  readonly name: string;
}

/** The HTTP API of the delivery service. */
export class DeliveryHttp {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  /** The bearer token, once registered. */
  token: string | undefined;

  /**
   * A client of the API at `url`.
   *
   * @param url base URL of the service, e.g. `http://127.0.0.1:8080`
   * @param token a bearer token from registration
   */
  constructor(url: string, token?: string) {
    this.url = url.replace(/\/+$/, "");
    this.token = token;
  }

  async #call(
    method: string,
    path: string,
    body?: Uint8Array | object,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers["content-type"] = MLS_MEDIA_TYPE;
      payload = body as Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: payload,
    });
    if (res.ok) return res;
    let err: WireError["error"] = {
      code: "http_error",
      message: res.statusText,
    };
    try {
      err = ((await res.json()) as WireError).error ?? err;
    } catch { /* not JSON */ }
    throw new DeliveryError(res.status, err.code, err.message, err.epoch);
  }

  async #bytes(res: Response): Promise<Uint8Array> {
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * `POST /v1/clients/challenge`: a single-use challenge for a proof.
   *
   * @example Sign it with the identity's key (what `DeliveryClient` does)
   * ```ts ignore
   * const { challenge } = await http.challenge();
   * const signature = await mls.signWithIdentity(
   *   identity,
   *   PROOF_LABEL,
   *   proofContent("register", http.url, challenge),
   * );
   * await http.register(keyPackageBytes, { challenge, signature });
   * ```
   */
  async challenge(): Promise<WireChallenge> {
    return await (await this.#call("POST", "/v1/clients/challenge")).json();
  }

  async #proven(
    path: string,
    keyPackage: Uint8Array,
    proof: Proof,
  ): Promise<WireToken> {
    const r = await (await this.#call("POST", path, keyPackage, {
      [CHALLENGE_HEADER]: proof.challenge,
      [SIGNATURE_HEADER]: toBase64(proof.signature),
    })).json() as WireToken;
    this.token = r.token;
    return r;
  }

  /**
   * `POST /v1/clients`: registers with a key package and a proof for
   * `"register"`; keeps the token.
   */
  register(keyPackage: Uint8Array, proof: Proof): Promise<WireToken> {
    return this.#proven("/v1/clients", keyPackage, proof);
  }

  /**
   * `POST /v1/clients/token`: a new token (the old one is revoked) for
   * the client of the key package, with a proof for `"token"`; keeps it.
   *
   * @example
   * ```ts ignore
   * const { challenge } = await http.challenge();
   * const content = proofContent("token", http.url, challenge);
   * const signature = await mls.signWithIdentity(id, PROOF_LABEL, content);
   * const { token } = await http.requestToken(kp.bytes, { challenge, signature });
   * ```
   */
  requestToken(keyPackage: Uint8Array, proof: Proof): Promise<WireToken> {
    return this.#proven("/v1/clients/token", keyPackage, proof);
  }

  /** `GET /v1/clients/me`. */
  async me(): Promise<ClientInfo> {
    return await (await this.#call("GET", "/v1/clients/me")).json();
  }

  /**
   * `PUT /v1/names/me`: sets this client's display name (unique per
   * service; see `server/shared/names.ts` for the rules). Resolves with
   * the name as the service keeps it; `409 name_taken` if another client
   * has it.
   *
   * @example
   * ```ts ignore
   * const { name } = await client.http.setName("Alice");
   * ```
   */
  async setName(name: string): Promise<NamedClient> {
    return await (await this.#call("PUT", "/v1/names/me", { name })).json();
  }

  /**
   * `GET /v1/names/:name`: the client that has this display name (exact,
   * after normalization), or `null`.
   *
   * @example Add a member by name
   * ```ts ignore
   * const bob = await client.http.clientByName("bob");
   * if (bob) await client.add(groupId, [bob.clientId]);
   * ```
   */
  async clientByName(name: string): Promise<NamedClient | null> {
    return await this.#orNull(`/v1/names/${encodeURIComponent(name)}`);
  }

  /**
   * `GET /v1/clients/:id/name`: a client's display name, or `null`.
   *
   * @example
   * ```ts ignore
   * const named = await client.http.nameOf(member.clientId);
   * console.log(named?.name ?? "no name");
   * ```
   */
  async nameOf(clientId: string): Promise<NamedClient | null> {
    return await this.#orNull(`/v1/clients/${clientId}/name`);
  }

  async #orNull(path: string): Promise<NamedClient | null> {
    try {
      return await (await this.#call("GET", path)).json();
    } catch (e) {
      if (e instanceof DeliveryError && e.code === "unknown_name") return null;
      throw e;
    }
  }

  /** `POST /v1/key-packages`: uploads concatenated KeyPackage messages. */
  async uploadKeyPackages(bytes: Uint8Array): Promise<void> {
    await (await this.#call("POST", "/v1/key-packages", bytes)).body?.cancel();
  }

  /** `POST /v1/clients/:id/key-packages/claim`. */
  async claimKeyPackage(clientId: string): Promise<Uint8Array> {
    return await this.#bytes(
      await this.#call("POST", `/v1/clients/${clientId}/key-packages/claim`),
    );
  }

  /**
   * `POST /v1/groups`: registers a group from its creator's GroupInfo;
   * `handshakes: "public"` makes the service refuse PrivateMessage
   * proposals and commits in it (and verify the public ones).
   */
  async createGroup(
    groupInfo: Uint8Array,
    externalJoins = false,
    options: { handshakes?: "public" | "any" } = {},
  ): Promise<{ groupId: string; epoch: number }> {
    const q = new URLSearchParams();
    if (externalJoins) q.set("external", "true");
    if (options.handshakes) q.set("handshakes", options.handshakes);
    const path = q.size > 0 ? `/v1/groups?${q}` : "/v1/groups";
    return await (await this.#call("POST", path, groupInfo)).json();
  }

  /**
   * `GET /v1/groups/:id`: `members` have joined (posted, or fetched their
   * Welcome); `invited` are in the tree and have not yet.
   */
  async group(
    groupId: string,
  ): Promise<{
    groupId: string;
    epoch: number;
    members: string[];
    invited: string[];
    handshakes: "public" | "any";
  }> {
    return await (await this.#call("GET", `/v1/groups/${groupId}`)).json();
  }

  /** `POST /v1/groups/:id/messages`: a message or a commit bundle. */
  async post(
    groupId: string,
    bytes: Uint8Array,
  ): Promise<{ epoch: number; seq: number }> {
    return await (await this.#call(
      "POST",
      `/v1/groups/${groupId}/messages`,
      bytes,
    )).json();
  }

  /**
   * `POST /v1/groups/:id/exports`: a member's sealed exports of the current
   * epoch (`GroupView.sealExports()`) for the key export service.
   *
   * @example
   * ```ts ignore
   * await http.postExports(group.groupId, await group.sealExports());
   * ```
   */
  async postExports(
    groupId: string,
    bytes: Uint8Array,
  ): Promise<{ epoch: number; accepted: number; stored: number }> {
    return await (await this.#call(
      "POST",
      `/v1/groups/${groupId}/exports`,
      bytes,
    )).json();
  }

  /** `GET /v1/groups/:id/group-info`. */
  async groupInfo(groupId: string): Promise<Uint8Array> {
    return await this.#bytes(
      await this.#call("GET", `/v1/groups/${groupId}/group-info`),
    );
  }

  /** `GET /v1/inbox`: a page after `after`, long-polling up to `wait` s. */
  async inbox(
    after?: string,
    options: { limit?: number; wait?: number } = {},
  ): Promise<InboxPage> {
    const q = new URLSearchParams();
    if (after) q.set("after", after);
    if (options.limit) q.set("limit", String(options.limit));
    if (options.wait) q.set("wait", String(options.wait));
    const r = await (await this.#call("GET", `/v1/inbox?${q}`))
      .json() as WireInbox;
    return { messages: r.messages.map(inboxEntry), cursor: r.cursor };
  }

  /** `POST /v1/inbox/ack`. */
  async ack(cursor: string): Promise<number> {
    return (await (await this.#call("POST", "/v1/inbox/ack", { cursor }))
      .json()).acked;
  }

  /** Opens the inbox stream (`GET /v1/inbox/stream`, a WebSocket). */
  stream(after?: string): WebSocket {
    const u = new URL(this.url + "/v1/inbox/stream");
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (after) u.searchParams.set("after", after);
    return new WebSocket(u, [STREAM_PROTOCOL, STREAM_AUTH_PREFIX + this.token]);
  }
}
