/**
 * The browser test's bundle entry: everything `mod.ts` exports, and
 * `IndexedDbStorage` even while `mod.ts` does not export it yet.
 *
 * @module
 */
export * from "../../mod.ts";
export { IndexedDbStorage } from "../../src/api/storage/indexeddb.ts";
