/**
 * Builds `dist/webmls.mjs`: `mod.ts` and its npm dependencies bundled into
 * one ES module that runs on Node >= 20 and in browsers (no Deno API is
 * touched unless `DenoKvStorage` is used).
 *
 * No `.d.ts` is emitted: `deno bundle --declaration` (Deno 2.9) leaves
 * imports of internal modules in it, so it would not type-check.
 *
 * Run: `deno task build`
 *
 * @module
 */

const root = new URL("..", import.meta.url);

/** Options of {@link build}. */
export interface BuildOptions {
  /** Output file; default `dist/webmls.mjs` in the repository. */
  output?: string;
  /** The module to bundle, relative to the repository; default `mod.ts`. */
  entry?: string;
}

/** Bundles `mod.ts` (or `entry`) with `deno bundle`; returns the output. */
export async function build(options: BuildOptions = {}): Promise<string> {
  const output = options.output ??
    decodeURIComponent(new URL("dist/webmls.mjs", root).pathname);
  const args = [
    "bundle",
    "--quiet",
    "--platform=browser",
    "--format=esm",
    "--packages=bundle",
    `--output=${output}`,
    options.entry ?? "mod.ts",
  ];
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: decodeURIComponent(root.pathname),
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle failed (${code}):\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return output;
}

if (import.meta.main) {
  const path = await build();
  const { size } = await Deno.stat(path);
  console.log(`built ${path} (${Math.round(size / 1024)} KiB)`);
}
