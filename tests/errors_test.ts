// The error codes (src/error_codes.ts) are a closed set, each thrown by the
// library and each asserted by name in a test: every code appears as a
// string literal in a test file under tests/ (comments and
// `new MlsError("code", …)` constructions do not count), unless it is
// listed below as unreachable from outside, with the reason. A listed code
// that a test does assert, or that is no longer a code, fails the test too.
import assert from "node:assert/strict";
import ts from "typescript";
import { MlsErrorCode } from "../src/errors.ts";

/**
 * Codes no test can provoke through the group layer or the API, each with
 * the reason. Empty today: every code is provoked by a test (a few, such as
 * `invalid_reinit`, `unsupported_proposal` and `unsupported_version`, only
 * by a caller that hands over a value the codec cannot carry). A code goes
 * here only with the reason no test can reach it, and leaves when one does.
 */
const UNREACHABLE: Readonly<Partial<Record<MlsErrorCode, string>>> = {};

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const codes = Object.values(MlsErrorCode) as string[];

/** The source files under `dir` (relative to the root), recursively. */
function sources(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(root + dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sources(path, pattern));
    else if (pattern.test(e.name)) out.push(path);
  }
  return out;
}

/** Whether `node` is the code argument of `new MlsError(code, …)`. */
function constructsError(node: ts.Node): boolean {
  const p = node.parent;
  return ts.isNewExpression(p) && p.arguments?.[0] === node &&
    ts.isIdentifier(p.expression) && p.expression.text === "MlsError";
}

/**
 * The string literals of a source file that name a code: in code, not in
 * comments; not an import specifier; not an error being constructed.
 */
function codesNamedIn(path: string): Set<string> {
  const text = Deno.readTextFileSync(root + path);
  const kind = /\.m?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const file = ts.createSourceFile(
    path,
    text,
    ts.ScriptTarget.Latest,
    true,
    kind,
  );
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
      MLS_CODES.has(node.text) && !constructsError(node) &&
      !ts.isImportDeclaration(node.parent) &&
      !ts.isExportDeclaration(node.parent)
    ) {
      found.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const MLS_CODES = new Set(codes);

/** Where each code is asserted: code -> test files (computed once). */
let assertedCache: Map<string, string[]> | undefined;
function assertedCodes(): Map<string, string[]> {
  if (assertedCache) return assertedCache;
  const self = "tests/errors_test.ts";
  const asserted = new Map<string, string[]>();
  for (const path of sources("tests", /\.(ts|mjs|js)$/)) {
    if (path === self) continue;
    for (const code of codesNamedIn(path)) {
      asserted.set(code, [...asserted.get(code) ?? [], path]);
    }
  }
  return assertedCache = asserted;
}

/**
 * What is wrong with a list of unreachable codes: a listed string that is
 * not a code, a code without a reason, or a code a test does assert.
 */
function listProblems(
  list: Readonly<Record<string, string | undefined>>,
  asserted: ReadonlyMap<string, string[]>,
): string[] {
  const out: string[] = [];
  for (const [code, reason] of Object.entries(list)) {
    if (!MLS_CODES.has(code)) out.push(`${code} is not an error code any more`);
    if (!reason) out.push(`${code}: no reason given`);
    const where = asserted.get(code);
    if (where) {
      out.push(
        `${code} is listed as unreachable but asserted in ${where.join(", ")}`,
      );
    }
  }
  return out;
}

Deno.test("error codes: each code is its own key, and unique", () => {
  for (const [key, value] of Object.entries(MlsErrorCode)) {
    assert.equal(key, value);
  }
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(Object.isFrozen(MlsErrorCode));
});

Deno.test("error codes: every code is thrown somewhere in the library", () => {
  const files = [
    ...sources("src", /\.ts$/),
    ...sources("providers", /\.ts$/),
    ...sources("server", /\.ts$/),
  ].filter((p) => p !== "src/error_codes.ts");
  const used = new Set<string>();
  for (const path of files) {
    const text = Deno.readTextFileSync(root + path);
    for (const code of codes) if (text.includes(`"${code}"`)) used.add(code);
  }
  assert.deepEqual(codes.filter((c) => !used.has(c)), []);
});

Deno.test("error codes: every reachable code is asserted by a test", () => {
  const asserted = assertedCodes();
  const missing = codes.filter((c) => !asserted.has(c) && !(c in UNREACHABLE));
  assert.deepEqual(missing, [], "codes no test asserts by name");
});

Deno.test("error codes: the unreachable list holds codes no test asserts", () => {
  assert.deepEqual(listProblems(UNREACHABLE, assertedCodes()), []);
  // The check itself: a listed code that a test asserts, a listed string
  // that is no code, and a code without a reason are each reported.
  const fake = new Map([["removed", ["tests/some_test.ts"]]]);
  assert.deepEqual(
    listProblems(
      { removed: "why", not_a_code: "why", truncated: "" },
      fake,
    ),
    [
      "removed is listed as unreachable but asserted in tests/some_test.ts",
      "not_a_code is not an error code any more",
      "truncated: no reason given",
    ],
  );
});
