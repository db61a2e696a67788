// Debian's Chromium for the browser tests: where it is, whether it is
// there, and the flags the drivers launch it with (never a downloaded
// browser). No playwright import here: the test files that only check for
// Chromium run with fewer permissions than the drivers.

/** Debian's `chromium` package (`.ci/run` installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless run on a machine without a sandbox or a GPU. */
export const CHROMIUM_ARGS: string[] = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
];

/**
 * Whether a browser test is ignored: only without {@link CHROMIUM}, and
 * never under CI (`CI` set), where a missing browser must fail the run
 * rather than pass it with less tested.
 */
export function ignoreWithoutChromium(): boolean {
  return !hasChromium() && !Deno.env.get("CI");
}

/** Whether {@link CHROMIUM} exists. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}
