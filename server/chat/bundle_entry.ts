/**
 * Entry of the chat page's browser bundle (`dist/webmls-chat.mjs`, served
 * at `/static/webmls.mjs`): the library, the delivery client, and
 * `IndexedDbStorage` (imported directly while `mod.ts` does not export it).
 *
 * @module
 */
export * from "../../mod.ts";
export * from "../../delivery.ts";
export { IndexedDbStorage } from "../../src/api/storage/indexeddb.ts";
