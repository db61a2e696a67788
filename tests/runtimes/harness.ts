/**
 * What the runtime tests share (tests/runtimes/runtimes.ts and mixed.ts):
 * a scratch workspace with the bundles and the installed npm package, built
 * once; subprocesses; workerd under a minimal capnp config.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildPackage } from "../../scripts/build_npm.ts";
import { bundle } from "../../scripts/bundle.ts";
import { ensureTools, type Tools } from "./tools.ts";

/** A path of this folder. */
export const here = (p: string): string =>
  decodeURIComponent(new URL(p, import.meta.url).pathname);

const text = new TextDecoder();

/** Runs a command to completion; asserts it succeeded; returns stdout. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = text.decode(stdout);
  assert.equal(
    code,
    0,
    `${cmd} ${args.join(" ")} failed:\n${out}\n${text.decode(stderr)}`,
  );
  return out;
}

/** The JSON object on the last line of `out`. */
export function lastJson<T>(out: string): T {
  const trimmed = out.trim();
  return JSON.parse(trimmed.slice(trimmed.lastIndexOf("\n") + 1));
}

/** A free loopback port (bound, then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Whether `path` is a file. */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Scratch files built once per run: bundles, the installed package. */
export class Workspace {
  /** The scratch folder. */
  readonly dir: string;
  #tools?: Promise<Tools>;
  #bundles = new Map<string, Promise<string>>();
  #app?: Promise<string>;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A new workspace in a temporary folder. */
  static async create(): Promise<Workspace> {
    return new Workspace(
      await Deno.makeTempDir({ prefix: "webmls-runtimes-" }),
    );
  }

  /** Bun, workerd and puppeteer-core (tools.ts). */
  tools(): Promise<Tools> {
    return this.#tools ??= ensureTools();
  }

  /**
   * The browser/workerd bundle of `entry`: `mod.ts`, or the chat page's
   * entry with the library and the delivery client together.
   */
  bundle(entry = "mod.ts"): Promise<string> {
    let b = this.#bundles.get(entry);
    if (!b) {
      const name = entry.replace(/[^a-z0-9]/gi, "_");
      b = bundle({ output: `${this.dir}/bundle-${name}.mjs`, entry });
      this.#bundles.set(entry, b);
    }
    return b;
  }

  /**
   * The npm package (scripts/build_npm.ts), packed with `npm pack` and
   * installed with `npm install` into a scratch project, with this folder's
   * `.mjs` files beside it; returns the project.
   */
  app(): Promise<string> {
    return this.#app ??= (async () => {
      const pkg = await buildPackage(`${this.dir}/package`);
      const tgz = (await run("npm", [
        "pack",
        pkg,
        "--pack-destination",
        this.dir,
      ], { cwd: this.dir })).trim().split("\n").pop()!;
      const app = `${this.dir}/app`;
      await Deno.mkdir(app);
      await Deno.writeTextFile(
        `${app}/package.json`,
        JSON.stringify({ name: "app", private: true, type: "module" }),
      );
      await run("npm", [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        `${this.dir}/${tgz}`,
      ], { cwd: app });
      for (const e of Deno.readDirSync(here("."))) {
        if (e.name.endsWith(".mjs")) {
          await Deno.copyFile(here(e.name), `${app}/${e.name}`);
        }
      }
      return app;
    })();
  }

  /** Removes the workspace. */
  async remove(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** A workerd process serving one module worker on loopback. */
export interface Workerd {
  /** `http://127.0.0.1:port/`. */
  url: string;
  /** `workerd --version`. */
  version: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves a module worker under workerd with a minimal capnp config:
 * `modules` (name → file; the first is the main module) are copied into
 * `dir`. With `network`, the worker may fetch loopback addresses (workerd
 * allows only public ones by default).
 */
export async function startWorkerd(
  workerd: string,
  dir: string,
  modules: [string, string][],
  options: { network?: boolean } = {},
): Promise<Workerd> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, file] of modules) {
    await Deno.copyFile(file, `${dir}/${name}`);
  }
  const port = freePort();
  const list = modules.map(([name]) =>
    `    (name = "${name}", esModule = embed "${name}"),`
  ).join("\n");
  const outbound = options.network ? `  globalOutbound = "loopback",\n` : "";
  const loopback = options.network
    ? `,\n    (name = "loopback", network = (allow = ["public", "private", "local"]))`
    : "";
  await Deno.writeTextFile(
    `${dir}/config.capnp`,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker)${loopback}
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
${list}
  ],
${outbound}  compatibilityDate = "2025-09-01",
);
`,
  );
  const version = (await run(workerd, ["--version"])).trim();
  const child = new Deno.Command(workerd, {
    args: ["serve", "config.capnp"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}/`;
  const close = async () => {
    child.kill("SIGTERM");
    await child.stderr.cancel();
    await child.status;
  };
  // Until it listens: any answer will do.
  for (let i = 0;; i++) {
    try {
      await (await fetch(url, { method: "HEAD" })).body?.cancel();
      break;
    } catch (e) {
      if (i > 100) {
        await close();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, version, close };
}
