/**
 * The directory's Durable Object (one for the service): clients and their
 * token hashes, key packages with their claims (and the claim limits of
 * the current window, RFC 9420 §16.8), registration challenges. Its state
 * is loaded once into memory and written through to storage; each method
 * runs without other I/O, so the object's input gate makes it atomic, and
 * its output gate holds the answer until the writes are stored.
 *
 * @module
 */

import { claimWindow, overLimit } from "../store/claim_window.ts";
import type {
  ClaimLimits,
  ClaimResult,
  ClientRecord,
  KeyPackageCounts,
  PutKeyPackageResult,
  StoredKeyPackage,
} from "../store/store.ts";
import { type Methods, serveRpc } from "./rpc.ts";
import type { DurableState, DurableStorage } from "./types.ts";

/** A stored key package: bytes as an array (the storage is structured). */
type Stored = StoredKeyPackage;

/** The directory object. */
export class DirectoryObject {
  readonly #storage: DurableStorage;
  #clients = new Map<string, ClientRecord>();
  #tokens = new Map<string, string>();
  #keyPackages = new Map<string, Stored[]>();
  #refOwners = new Map<string, string>();
  #challenges = new Map<string, number>();
  #claims = { window: NaN, counts: new Map<string, number>() };

  /** Loads the state before any request. */
  constructor(state: DurableState) {
    this.#storage = state.storage;
    state.blockConcurrencyWhile(async () => {
      for (
        const [k, v] of await this.#storage.list<ClientRecord>({ prefix: "c/" })
      ) {
        this.#clients.set(k.slice(2), v);
        this.#tokens.set(v.tokenHash, v.clientId);
      }
      for (
        const [k, v] of await this.#storage.list<Stored[]>({ prefix: "k/" })
      ) {
        this.#keyPackages.set(k.slice(2), v);
      }
      for (const [k, v] of await this.#storage.list<string>({ prefix: "r/" })) {
        this.#refOwners.set(k.slice(2), v);
      }
      for (
        const [k, v] of await this.#storage.list<number>({ prefix: "ch/" })
      ) {
        this.#challenges.set(k.slice(3), v);
      }
      const claims = await this.#storage.get<
        { window: number; counts: [string, number][] }
      >("claims");
      if (claims) {
        this.#claims = {
          window: claims.window,
          counts: new Map(claims.counts),
        };
      }
    });
  }

  /** Serves the worker's calls (rpc.ts). */
  fetch(request: Request): Promise<Response> {
    return serveRpc(this.#methods, request);
  }

  #saveKeyPackages(owner: string, list: Stored[]): void {
    this.#keyPackages.set(owner, list);
    this.#storage.put({ [`k/${owner}`]: list });
  }

  #methods: Methods = {
    registerClient: (record: ClientRecord): boolean => {
      if (this.#clients.has(record.clientId)) return false;
      this.#clients.set(record.clientId, record);
      this.#tokens.set(record.tokenHash, record.clientId);
      this.#storage.put({ [`c/${record.clientId}`]: record });
      return true;
    },
    clientByTokenHash: (hash: string) => this.#tokens.get(hash) ?? null,
    hasClient: (id: string) => this.#clients.has(id),
    rotateToken: (clientId: string, tokenHash: string): boolean => {
      const old = this.#clients.get(clientId);
      if (!old) return false;
      this.#tokens.delete(old.tokenHash);
      const record = { ...old, tokenHash };
      this.#clients.set(clientId, record);
      this.#tokens.set(tokenHash, clientId);
      this.#storage.put({ [`c/${clientId}`]: record });
      return true;
    },
    putChallenge: (challenge: string, now: number, ttlMs: number): null => {
      // Sweep expired ones now and then: the map stays small.
      if (this.#challenges.size >= 1000) {
        const old = [...this.#challenges].filter(([, t]) => t < now);
        for (const [c] of old) this.#challenges.delete(c);
        this.#storage.delete(old.map(([c]) => `ch/${c}`));
      }
      this.#challenges.set(challenge, now + ttlMs);
      this.#storage.put({ [`ch/${challenge}`]: now + ttlMs });
      return null;
    },
    takeChallenge: (challenge: string, now: number): boolean => {
      const expiresAt = this.#challenges.get(challenge);
      if (expiresAt === undefined) return false;
      this.#challenges.delete(challenge);
      this.#storage.delete([`ch/${challenge}`]);
      return now <= expiresAt;
    },
    putKeyPackage: (
      owner: string,
      kp: Stored,
      max: number,
    ): PutKeyPackageResult => {
      const list = this.#keyPackages.get(owner) ?? [];
      if (this.#refOwners.has(kp.ref)) return "duplicate";
      if (list.length >= max) return "full";
      this.#refOwners.set(kp.ref, owner);
      this.#storage.put({ [`r/${kp.ref}`]: owner });
      this.#saveKeyPackages(owner, [...list, kp]);
      return "stored";
    },
    claimKeyPackage: (owner: string, nowSeconds: number): Stored | null => {
      const list = this.#valid(owner, nowSeconds);
      const i = list.findIndex((k) => !k.lastResort);
      const kp = i >= 0 ? list.splice(i, 1)[0] : list[0];
      this.#saveKeyPackages(owner, list);
      return kp ?? null;
    },
    countKeyPackages: (owner: string) =>
      this.#keyPackages.get(owner)?.length ?? 0,
    keyPackageOwners: (refs: string[]) =>
      refs.map((r) => this.#refOwners.get(r) ?? null),
    countKeyPackagesByKind: (
      owner: string,
      nowSeconds: number,
    ): KeyPackageCounts => {
      const valid = (this.#keyPackages.get(owner) ?? [])
        .filter((k) => k.notAfter >= nowSeconds);
      const lastResort = valid.filter((k) => k.lastResort).length;
      return { regular: valid.length - lastResort, lastResort };
    },
    claimKeyPackageLimited: (
      owner: string,
      requester: string,
      nowSeconds: number,
      limits: ClaimLimits | false,
    ): ClaimResult => {
      const list = this.#valid(owner, nowSeconds);
      this.#saveKeyPackages(owner, list);
      const i = list.findIndex((k) => !k.lastResort);
      const lastResort = list.find((k) => k.lastResort);
      let keys: string[] = [];
      if (limits) {
        const w = claimWindow(limits, nowSeconds);
        // Only the current window's counts matter: drop older ones.
        if (this.#claims.window !== w.window) {
          this.#claims = { window: w.window, counts: new Map() };
        }
        keys = [`p/${requester}/${owner}`, `r/${requester}`, `t/${owner}`];
        const [pair, req, target] = keys.map((k) =>
          this.#claims.counts.get(k) ?? 0
        );
        if (i >= 0 && overLimit({ pair, requester: req, target }, limits)) {
          return lastResort
            ? { kind: "lastResort", keyPackage: lastResort }
            : { kind: "limited", retryAfter: w.retryAfter };
        }
      }
      if (i >= 0) {
        const [keyPackage] = list.splice(i, 1);
        this.#saveKeyPackages(owner, list);
        for (const k of keys) {
          this.#claims.counts.set(k, (this.#claims.counts.get(k) ?? 0) + 1);
        }
        if (keys.length > 0) {
          this.#storage.put({
            claims: {
              window: this.#claims.window,
              counts: [...this.#claims.counts],
            },
          });
        }
        return { kind: "regular", keyPackage };
      }
      return lastResort
        ? { kind: "lastResort", keyPackage: lastResort }
        : { kind: "none" };
    },
  };

  /** `owner`'s key packages valid at `nowSeconds` (expired ones go). */
  #valid(owner: string, nowSeconds: number): Stored[] {
    return (this.#keyPackages.get(owner) ?? [])
      .filter((k) => k.notAfter >= nowSeconds);
  }
}
