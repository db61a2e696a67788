/**
 * Display names of the directory (`PUT /v1/names/me`): what a valid name
 * is, and the key that makes two names "the same" for uniqueness. Shared
 * by the service (which enforces it) and clients (which check a name
 * before sending it).
 *
 * Rules, so that a name shown to a person means one client:
 * - Unicode NFC for display; uniqueness on NFKC, lower-cased (so
 *   "Alice", "ALICE" and "Ａｌｉｃｅ" (full-width) are one name);
 * - 2 to 32 characters after trimming; letters, digits, combining marks,
 *   and `space . _ -` between them (no leading, trailing or doubled
 *   separators): no controls, format characters (zero-width, bidi
 *   overrides), symbols or emoji, which could make two names look alike
 *   or reorder what is shown around them;
 * - all letters of one script (Han, Hiragana and Katakana count as one,
 *   for Japanese): "аlice" with a Cyrillic "а" is refused rather than
 *   shown next to "alice". Names wholly in one script that look like a
 *   name in another (Cyrillic "асе", Latin "ace") remain possible; the
 *   client id fingerprint is what tells them apart.
 *
 * @module
 */

/** Shortest display name, in characters (code points). */
export const MIN_NAME_LENGTH = 2;
/** Longest display name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;

/** A name checked by {@link checkName}. */
export type NameCheck =
  | {
    /** Valid. */
    readonly ok: true;
    /** The name as shown: trimmed, NFC. */
    readonly display: string;
    /** The uniqueness key: NFKC, lower case. */
    readonly key: string;
  }
  | {
    /** Invalid. */
    readonly ok: false;
    /** Why, in plain words. */
    readonly reason: string;
  };

// Scripts a name's letters are grouped by; a letter of none of them is
// of the script "other", which also may not mix.
const SCRIPTS: [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Japanese", /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ["Hangul", /\p{Script=Hangul}/u],
  ["Arabic", /\p{Script=Arabic}/u],
  ["Hebrew", /\p{Script=Hebrew}/u],
  ["Devanagari", /\p{Script=Devanagari}/u],
  ["Thai", /\p{Script=Thai}/u],
  ["Armenian", /\p{Script=Armenian}/u],
  ["Georgian", /\p{Script=Georgian}/u],
];

function scriptOf(ch: string): string {
  for (const [name, re] of SCRIPTS) if (re.test(ch)) return name;
  return "other";
}

// A word is letters, marks and digits; words are joined by one separator.
const SHAPE =
  /^[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:[ ._-][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*$/u;

/**
 * Checks a display name and returns its display form and uniqueness key,
 * or the reason it is refused.
 *
 * @example
 * ```ts
 * import { checkName } from "./names.ts";
 * const r = checkName("  Alice ");
 * console.log(r.ok && r.display, r.ok && r.key); // "Alice" "alice"
 * console.log(checkName("a").ok); // false: too short
 * ```
 */
export function checkName(input: unknown): NameCheck {
  if (typeof input !== "string") return { ok: false, reason: "not a text" };
  const display = input.trim().normalize("NFC");
  const length = [...display].length;
  if (length < MIN_NAME_LENGTH) {
    return {
      ok: false,
      reason: `a name needs at least ${MIN_NAME_LENGTH} characters`,
    };
  }
  if (length > MAX_NAME_LENGTH) {
    return {
      ok: false,
      reason: `a name has at most ${MAX_NAME_LENGTH} characters`,
    };
  }
  const key = display.normalize("NFKC").toLowerCase().normalize("NFKC");
  // Checked on both forms: NFKC may turn an allowed character into a
  // separator run or a symbol (e.g. "½" into "1⁄2").
  if (!SHAPE.test(display) || !SHAPE.test(key)) {
    return {
      ok: false,
      reason: "use letters and digits, with single spaces, dots, " +
        "dashes or underscores between them",
    };
  }
  const scripts = new Set(
    [...key].filter((c) => /\p{L}/u.test(c)).map(scriptOf),
  );
  if (scripts.size > 1) {
    return {
      ok: false,
      reason: `letters of one alphabet only (this mixes ${
        [...scripts].join(" and ")
      })`,
    };
  }
  return { ok: true, display, key };
}
