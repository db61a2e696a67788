/**
 * Bundles a module of the repository and its npm dependencies into one ES
 * module for Node >= 20 and browsers, with `deno bundle`. The npm package
 * (`build_npm.ts`) and the chat page (`server/chat/build.ts`) use it.
 *
 * @module
 */

const root = new URL("..", import.meta.url);

/** Options of {@link bundle}. */
export interface BundleOptions {
  /** Output file; default `dist/webmls.mjs` in the repository. */
  output?: string;
  /** The module to bundle, relative to the repository; default `mod.ts`. */
  entry?: string;
  /**
   * `browser` (default: browsers, workerd, and Node for the library) or
   * `node` (a server entry that imports `node:` modules, for Node or Bun).
   */
  platform?: "browser" | "node";
}

/** Bundles `mod.ts` (or `entry`) with `deno bundle`; returns the output. */
export async function bundle(options: BundleOptions = {}): Promise<string> {
  const output = options.output ??
    decodeURIComponent(new URL("dist/webmls.mjs", root).pathname);
  const args = [
    "bundle",
    "--quiet",
    `--platform=${options.platform ?? "browser"}`,
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
