/**
 * Builds the npm-style package in `dist/npm/` (`deno task build`):
 *
 * - `webmls.mjs`: `mod.ts` and its npm dependencies bundled into one ES
 *   module that runs on Node >= 20 and in browsers (no Deno API is touched
 *   unless `DenoKvStorage` is used);
 * - `delivery.mjs`: the delivery client (`delivery.ts`), which needs only
 *   the types of the main module;
 * - `types/`: `.d.ts` declarations emitted by the TypeScript compiler
 *   (npm `typescript`, from Deno's cache), with relative imports pointing
 *   at `.js` so that any `moduleResolution` finds them;
 * - `export.mjs`: the key export consumer (`export.ts`);
 * - `package.json` with `exports` for `.`, `./delivery` and `./export`.
 *
 * `npm install ./dist/npm` (or `npm pack` it) gives a Node project
 * `import { MLS } from "@webmls/mls"` with types.
 *
 * @module
 */

import ts from "typescript";
import { bundle } from "./bundle.ts";

const root = new URL("..", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);
const manifest = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
) as { name: string; version: string; license: string };

/** The package's entry points: source, bundle, declaration. */
const ENTRIES = [
  { source: "mod.ts", bundle: "webmls.mjs", types: "types/mod.d.ts" },
  {
    source: "delivery.ts",
    bundle: "delivery.mjs",
    types: "types/delivery.d.ts",
  },
  { source: "export.ts", bundle: "export.mjs", types: "types/export.d.ts" },
] as const;

/**
 * A relative module specifier ending in `.ts`, in `from "…"`,
 * `import("…")` and `export * from "…"`.
 */
const RELATIVE_TS = /(["'])(\.{1,2}\/[^"']*?)\.ts\1/g;

/**
 * Makes an emitted declaration usable outside Deno: relative `.ts`
 * specifiers become `.js` (every resolution mode maps those to `.d.ts`),
 * and the `Deno` namespace, which only `DenoKvStorage`'s signature names,
 * is declared locally as far as it is used there.
 */
export function portableDeclaration(text: string): string {
  let out = text.replace(RELATIVE_TS, "$1$2.js$1");
  if (/\bDeno\.Kv\b/.test(out)) {
    out += "\n/** Deno's KV database (Deno only). */\n" +
      "declare namespace Deno {\n  interface Kv {}\n}\n";
  }
  return out;
}

/** Emits the declarations of the entry points into `outDir`. */
export function emitDeclarations(outDir: string): void {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    declaration: true,
    emitDeclarationOnly: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    strict: true,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    rootDir: rootPath,
    outDir,
  };
  const program = ts.createProgram(
    ENTRIES.map((e) => `${rootPath}${e.source}`),
    options,
  );
  // The program is not type-checked here (`deno check` does that with
  // Deno's types and import map); only the declaration emit must succeed.
  const result = program.emit(
    undefined,
    (file, text) => {
      Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      Deno.writeTextFileSync(file, portableDeclaration(text));
    },
    undefined,
    true,
  );
  const failed = result.diagnostics.filter((d) =>
    d.category === ts.DiagnosticCategory.Error
  );
  if (result.emitSkipped || failed.length > 0) {
    throw new Error(
      "declaration emit failed:\n" +
        ts.formatDiagnostics(failed, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => rootPath,
          getNewLine: () => "\n",
        }),
    );
  }
}

/** Builds the package into `dir` (default `dist/npm`); returns `dir`. */
export async function buildPackage(
  dir: string = `${rootPath}dist/npm`,
): Promise<string> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  for (const e of ENTRIES) {
    await bundle({ output: `${dir}/${e.bundle}`, entry: e.source });
  }
  emitDeclarations(`${dir}/types`);
  const exports = Object.fromEntries(ENTRIES.map((e) => [
    e.source === "mod.ts" ? "." : `./${e.source.replace(/\.ts$/, "")}`,
    { types: `./${e.types}`, default: `./${e.bundle}` },
  ]));
  const pkg = {
    name: manifest.name,
    version: manifest.version,
    description:
      "The Web API for Messaging Layer Security (MLS, RFC 9420) on WebCrypto",
    license: manifest.license,
    type: "module",
    engines: { node: ">=20" },
    exports,
    types: `./${ENTRIES[0].types}`,
    files: ["*.mjs", "types/", "README.md", "LICENSE"],
  };
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify(pkg, null, 2) + "\n",
  );
  for (const f of ["README.md", "LICENSE"]) {
    await Deno.copyFile(`${rootPath}${f}`, `${dir}/${f}`);
  }
  return dir;
}

if (import.meta.main) {
  const dir = await buildPackage();
  const { size } = await Deno.stat(`${dir}/webmls.mjs`);
  console.log(`built ${dir} (webmls.mjs ${Math.round(size / 1024)} KiB)`);
}
