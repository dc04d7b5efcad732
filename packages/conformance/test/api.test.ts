// Runs src/api-check.ts in each runtime (a real node, bun and deno process) and checks what it found:
// each adapter works from code exactly as its README shows, with the same handle and the same lifespan.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pinned } from "@asyncview/cli/runtime-command";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../src/api-check.ts", import.meta.url));
const COMMANDS: Record<string, [string, string[]]> = {
  node: [process.execPath, [script, "node"]],
  bun: [pinned("bun"), [script, "bun"]],
  deno: [pinned("deno"), ["run", "--allow-all", script, "deno"]],
};

describe.each(Object.keys(COMMANDS))("serve() from code on %s", (runtime) => {
  it("listens on port 0, runs lifespan hooks, passes the request through, refuses a busy port, closes by signal", () => {
    const [command, args] = COMMANDS[runtime]!;
    const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(report.runtime).toBe(runtime);
    expect(report.url).toBe(`http://127.0.0.1:${report.port}`);
    expect(report.port).toBeGreaterThan(0);
    expect(report.hooksAtListen).toEqual(["startup"]);
    expect(report.hooks).toEqual(["startup", "shutdown"]);
    expect(report.answer).toEqual({
      // Bun and Deno hand the app their own Request; Node gets the lazy facade (an instanceof Request).
      nativeRequest: runtime !== "node",
      runtime,
      remoteAddress: "127.0.0.1",
    });
    expect(report.busyPortError).toMatch(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${report.port}: `));
    expect(report.refusedAfterClose).toBe(true);
  }, 70_000);
});
