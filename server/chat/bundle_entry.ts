/**
 * Entry of the chat page's browser bundle (`dist/webmls-chat.mjs`, served
 * at `/static/webmls.mjs`): the library (with `IndexedDbStorage`,
 * `EncryptedStorage`, `openAppKey`), the delivery client, and the page's
 * own history store and message envelope.
 *
 * @module
 */
export * from "../../mod.ts";
export * from "../../delivery.ts";
export * from "./history.ts";
export * from "./envelope.ts";
