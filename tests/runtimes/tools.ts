/**
 * The runtimes and drivers that `deno task test:runtimes` needs beyond
 * Deno, Node and the Debian browsers: Bun, Cloudflare's workerd and
 * puppeteer-core (Firefox over WebDriver BiDi), pinned, from npm. They are
 * installed with `npm install --prefix` into a scratch folder outside the
 * repository (reused while the versions stay the same), never into the
 * repository's `node_modules`, which npm keeps for Deno alone. Each npm
 * package ships its binary inside a platform package, so nothing is
 * downloaded from elsewhere.
 *
 * @module
 */

/** The pinned versions. */
export const TOOL_VERSIONS = {
  bun: "1.4.4",
  workerd: "1.20261117.1",
  "puppeteer-core": "25.16.0",
} as const;

/** Debian's `firefox-esr` package (`.ci/run` installs it). */
export const FIREFOX = "/usr/bin/firefox-esr";

/** Where the tools are, once installed. */
export interface Tools {
  /** The scratch folder (its `node_modules` holds puppeteer-core). */
  dir: string;
  /** The `bun` binary. */
  bun: string;
  /** The `workerd` binary. */
  workerd: string;
}

function scratchRoot(): string {
  return Deno.env.get("WEBMLS_RUNTIMES_DIR") ??
    `${Deno.env.get("TMPDIR") ?? "/tmp"}/webmls-runtimes`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs the pinned tools into the scratch folder unless they are there.
 *
 * @returns their paths
 */
export async function ensureTools(): Promise<Tools> {
  const tag = Object.entries(TOOL_VERSIONS).map(([n, v]) => `${n}@${v}`)
    .join("+");
  const dir = `${scratchRoot()}/${tag.replace(/[^a-z0-9.@+-]/gi, "_")}`;
  const bin = `${dir}/node_modules/.bin`;
  const tools = { dir, bun: `${bin}/bun`, workerd: `${bin}/workerd` };
  const ready =
    await exists(`${dir}/node_modules/puppeteer-core/package.json`) &&
    await exists(tools.bun) && await exists(tools.workerd);
  if (ready) return tools;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify({ name: "webmls-runtimes", private: true, type: "module" }),
  );
  const { code, stdout, stderr } = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-audit",
      "--no-fund",
      "--save-exact",
      ...Object.entries(TOOL_VERSIONS).map(([n, v]) => `${n}@${v}`),
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const text = new TextDecoder();
    throw new Error(
      `npm install of the runtimes failed:\n${text.decode(stdout)}\n${
        text.decode(stderr)
      }`,
    );
  }
  return tools;
}
