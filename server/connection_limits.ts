/**
 * Caps on what holds a connection open for long: WebSocket streams and
 * waiting long polls, per token and in total (in process: each server
 * process counts its own).
 *
 * @module
 */

import { ApiError } from "./errors.ts";

/** Counts open streams and long polls against the two caps. */
export class StreamLimits {
  readonly #perToken: number;
  readonly #total: number;
  readonly #open = new Map<string, number>();
  #count = 0;

  /**
   * @param perToken streams and long polls one token may hold open
   * @param total streams and long polls the process holds open
   */
  constructor(perToken: number, total: number) {
    this.#perToken = perToken;
    this.#total = total;
  }

  /** Open streams and long polls. */
  get open(): number {
    return this.#count;
  }

  /**
   * Takes a slot for `token` (a client id: one token each): `429
   * too_many_streams` when the token holds its share, `503 server_busy`
   * when the process is full. The returned function gives the slot back;
   * calling it again does nothing.
   */
  acquire(token: string): () => void {
    const mine = this.#open.get(token) ?? 0;
    if (mine >= this.#perToken) {
      throw new ApiError(
        429,
        "too_many_streams",
        `at most ${this.#perToken} open streams and long polls per token`,
        { retryAfter: 1 },
      );
    }
    if (this.#count >= this.#total) {
      throw new ApiError(503, "server_busy", "too many open streams", {
        retryAfter: 1,
      });
    }
    this.#open.set(token, mine + 1);
    this.#count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count--;
      const n = (this.#open.get(token) ?? 1) - 1;
      if (n > 0) this.#open.set(token, n);
      else this.#open.delete(token);
    };
  }
}
