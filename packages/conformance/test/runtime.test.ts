// Runs the runtime-neutral check files (test/runtime/*.check.ts) in a real node, bun and deno process each,
// and fails with the names and errors of any check that did not pass in any runtime.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pinned } from "@asyncview/cli/runtime-command";
import { describe, expect, it } from "vitest";

const FILES = { "toolkit.check.ts": 17, "sync-to-async.check.ts": 20 };
const command = (runtime: string, file: string): [string, string[]] => {
  const path = fileURLToPath(new URL(`./runtime/${file}`, import.meta.url));
  if (runtime === "bun") return [pinned("bun"), [path]];
  if (runtime === "deno") return [pinned("deno"), ["run", "--allow-all", path]];
  return [process.execPath, [path]];
};

describe.each(["node", "bun", "deno"])("toolkit on %s", (runtime) => {
  for (const [file, expected] of Object.entries(FILES)) {
    it(file, () => {
      const [cmd, args] = command(runtime, file);
      const run = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
      const results = run.stdout
        .split("\n")
        .filter((line) => line.startsWith('{"check"'))
        .map((line) => JSON.parse(line) as { check: string; ok: boolean; error?: string });
      const failed = results.filter((r) => !r.ok).map((r) => `${r.check}\n  ${r.error}`);
      expect(failed, run.stderr).toEqual([]);
      expect(results.map((r) => r.check)).toHaveLength(expected);
      expect(run.status, run.stderr).toBe(0);
    }, 130_000);
  }
});
