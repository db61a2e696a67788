// The chat page end to end in headless Chromium: tests/server/chat_driver.ts
// in its own process (playwright needs more permissions than the test task
// grants). Skipped when /usr/bin/chromium is absent (`.ci/run` installs it).
import assert from "node:assert/strict";
import { ignoreWithoutChromium } from "../chromium.ts";

Deno.test({
  name: "chat page: two browsers talk, a third is added then removed",
  ignore: ignoreWithoutChromium(),
  async fn() {
    const driver = new URL("chat_driver.ts", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", decodeURIComponent(driver.pathname)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout).trim();
    const log = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `chat page run failed:\n${out}\n${log}`);
    const result = JSON.parse(out.slice(out.lastIndexOf("\n") + 1));
    assert.equal(result.ok, true, result.error);
  },
});
