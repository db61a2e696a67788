// Drives a Debian browser with puppeteer-core (run under Node from the
// scratch folder that holds puppeteer-core, see tools.ts): Firefox ESR over
// WebDriver BiDi, or Chromium. Opens the page at argv[2], waits for
// `globalThis.__result`, prints it as JSON on the last line. Never downloads
// a browser.
//
// node browser_driver.mjs <url> <executable> [firefox|chrome]
// Installed only in the scratch folder: imported by a computed name so that
// `deno check` does not look for it.
const DRIVER = "puppeteer-core";
const { default: puppeteer } = await import(DRIVER);

const [url, executablePath, kind = "firefox"] = process.argv.slice(2);
const browser = await puppeteer.launch(
  kind === "firefox"
    ? { browser: "firefox", executablePath, headless: true }
    : {
      browser: "chrome",
      executablePath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
      ],
    },
);
const messages = [];
try {
  const page = await browser.newPage();
  page.on("console", (m) => messages.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => messages.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__result !== undefined, {
    timeout: 300_000,
    polling: 200,
  });
  const result = await page.evaluate(() => globalThis.__result);
  const version = await browser.version();
  console.log(
    JSON.stringify({ ...result, version, log: [...result.log, ...messages] }),
  );
} catch (e) {
  console.log(JSON.stringify({ ok: false, log: messages, error: String(e) }));
} finally {
  await browser.close();
}
