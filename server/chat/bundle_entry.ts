/**
 * Entry of the chat page's browser bundle (`dist/webmls-chat.mjs`, served
 * at `/static/webmls.mjs`): the library (with `IndexedDbStorage`) and the
 * delivery client.
 *
 * @module
 */
export * from "../../mod.ts";
export * from "../../delivery.ts";
