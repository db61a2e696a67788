/** The store contract (store_conformance.ts) on the in-memory store. */
import { MemoryStore } from "../../server/store/memory.ts";
import { storeConformance } from "./store_conformance.ts";

storeConformance("memory", () => new MemoryStore());
