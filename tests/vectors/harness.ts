/**
 * Shared machinery of the interop-vector runner. Each vector file
 * `../shared/mls-vectors/<name>.json` is checked by the module
 * `tests/vectors/<name with - replaced by _>.ts`, which exports
 * `check(entry, index)`; it throws (any error) when the entry fails.
 * Files without a checker are reported as skipped.
 */

/** Where the official vectors live: `../shared/mls-vectors` beside the repo. */
export const VECTORS_DIR: URL = new URL(
  Deno.env.get("MLS_VECTORS_DIR")
    ? `file://${Deno.env.get("MLS_VECTORS_DIR")}/`
    : "../../../shared/mls-vectors/",
  import.meta.url,
);

/** One checker module. */
export interface VectorChecker {
  // deno-lint-ignore no-explicit-any
  check(entry: any, index: number): Promise<void>;
}

/** The outcome of checking one vector file. */
export interface FileResult {
  file: string;
  total: number;
  passed: number;
  skipped: boolean;
  failures: { index: number; error: unknown }[];
}

/** Vector files present, sorted. */
export function vectorFiles(): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(VECTORS_DIR)) {
    if (e.isFile && e.name.endsWith(".json")) out.push(e.name);
  }
  return out.sort();
}

/** The checker module URL for a vector file. */
export function checkerUrl(file: string): URL {
  return new URL(
    `./${file.replace(/\.json$/, "").replaceAll("-", "_")}.ts`,
    import.meta.url,
  );
}

/** Loads the entries of a vector file. */
// deno-lint-ignore no-explicit-any
export function loadVectors(file: string): any[] {
  return JSON.parse(Deno.readTextFileSync(new URL(file, VECTORS_DIR)));
}

/** Runs every entry of one file through its checker. */
export async function runFile(file: string): Promise<FileResult> {
  const entries = loadVectors(file);
  const url = checkerUrl(file);
  try {
    Deno.statSync(url);
  } catch {
    return {
      file,
      total: entries.length,
      passed: 0,
      skipped: true,
      failures: [],
    };
  }
  const checker = await import(url.href) as VectorChecker;
  const result: FileResult = {
    file,
    total: entries.length,
    passed: 0,
    skipped: false,
    failures: [],
  };
  for (let i = 0; i < entries.length; i++) {
    try {
      await checker.check(entries[i], i);
      result.passed++;
    } catch (error) {
      result.failures.push({ index: i, error });
    }
  }
  return result;
}
