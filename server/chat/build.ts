/**
 * Builds the chat page's bundle with the repository's bundler
 * (`scripts/bundle.ts`, `deno bundle` for browsers).
 *
 * @module
 */

import { bundle } from "../../scripts/bundle.ts";

/** Where the chat bundle goes by default. */
export const CHAT_BUNDLE = decodeURIComponent(
  new URL("../../dist/webmls-chat.mjs", import.meta.url).pathname,
);

/** The chat page's directory. */
export const STATIC_DIR = decodeURIComponent(
  new URL("../static", import.meta.url).pathname,
);

/** Bundles `server/chat/bundle_entry.ts` to `output`; returns the path. */
export function buildChatBundle(output: string = CHAT_BUNDLE): Promise<string> {
  return bundle({ output, entry: "server/chat/bundle_entry.ts" });
}
