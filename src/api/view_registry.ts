/**
 * The live state behind each view, for the calls of `MLS` that take a
 * view as an argument (joining or recreating a group that resumes it,
 * RFC 9420 §11.2, §11.3) without making the state a public member.
 *
 * @module
 */

import { invalid } from "./args.ts";
import type { ViewState } from "./view_state.ts";

const states = new WeakMap<object, ViewState>();

/**
 * Records `live` as the state of `view`.
 *
 * @example
 * ```ts ignore
 * registerView(this, live);
 * ```
 */
export function registerView(view: object, live: ViewState): void {
  states.set(view, live);
}

/**
 * The live state of a view given as argument `field`
 * (`invalid_argument` when it is not a `GroupView`).
 *
 * @example
 * ```ts ignore
 * const old = liveStateOf(options.resumes, "options.resumes").state;
 * ```
 */
export function liveStateOf(view: unknown, field: string): ViewState {
  const live = typeof view === "object" && view !== null
    ? states.get(view)
    : undefined;
  return live ?? invalid(field, "a GroupView", view);
}
