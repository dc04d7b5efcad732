// pnpm bench:inflight on real processes: asyncview/node and bare node:http each hold a batch of /sleep requests at once;
// every request is answered 200 (none refused, reset or left unanswered).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { measureInflight } from "../src/inflight-cli.ts";

const CLI = fileURLToPath(new URL("../src/inflight-cli.ts", import.meta.url));

describe("bench:inflight", () => {
  it("holds every request in flight and answers each with 200, on asyncview and on the bare server", { timeout: 60_000 }, async () => {
    for (const target of ["asyncview-node", "bare-node"]) {
      const result = await measureInflight(target, 200, 500);
      expect(result.statuses).toEqual({ 200: 200 });
      expect(result.idleRssMiB).toBeGreaterThan(0);
    }
  });

  it("refuses an unknown target or a count past the descriptor limit with exit status 2", () => {
    const unknown = spawnSync(process.execPath, [CLI, "--targets", "nope"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown target: nope");
    const tooMany = spawnSync(process.execPath, [CLI, "--requests", "50000"], { encoding: "utf8" });
    expect(tooMany.status).toBe(2);
    expect(tooMany.stderr).toContain("--requests must be 1..19000 and --ms 1..60000");
    const tooLong = spawnSync(process.execPath, [CLI, "--ms", "70000"], { encoding: "utf8" });
    expect(tooLong.status).toBe(2);
  });
});
