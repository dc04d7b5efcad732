// The hostile-client battery of issue 10 at CI scale (the attacks of `pnpm hostile`, short timeouts) against a real
// process of each adapter: the spec, or where a runtime cannot meet it its documented behaviour (README).

import { describe, expect, it } from "vitest";
import type { RuntimeName } from "@asyncview/cli/args";
import { ATTACKS, type AttackName, type AttackResult, type Settings } from "../../../benchmarks/scripts/hostile/index.ts";

/** Short timeouts so the whole file stays within about 3 minutes for 4 adapters (seconds, as the flags take them). */
const CI: Omit<Settings, "scale"> = { headersTimeout: 1, keepAliveTimeout: 1, writeTimeout: 2, shutdownTimeout: 3 };

/**
 * Each attack's scale (1 = the full scale): 100 slowloris connections, 500 idle, 2,000 /sleep against
 * --limit-concurrency 100, 282 sockets against `ulimit -n 256`, 50 aborting clients a round, 100 in flight at SIGTERM,
 * 4 x 60 MB bodies. malformed and non-reading do not scale.
 */
const SCALE: Record<AttackName, number> = {
  malformed: 1,
  slowloris: 0.05,
  "idle-flood": 0.05,
  overload: 0.1,
  "fd-exhaustion": 0.25,
  "abort-storm": 0.1,
  "non-reading": 1,
  "shutdown-drain": 0.2,
  "shutdown-deadline": 0.2,
  "big-bodies": 0.25,
};

/** Every check of the attack holds; a failure names the check, what was seen, and the server's last output. */
function expectAllChecks(result: AttackResult): void {
  expect(result.checks.length).toBeGreaterThan(0);
  for (const c of result.checks) {
    expect.soft(c.ok, `${result.runtime} ${result.attack}: ${c.name}: saw ${c.detail}\n${result.serverTail ?? ""}`).toBe(true);
  }
}

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("hostile clients: %s", (runtime) => {
  it.each(Object.keys(ATTACKS) as AttackName[])("%s", async (name) => {
    expectAllChecks(await ATTACKS[name](runtime, { ...CI, scale: SCALE[name] }));
  }, 60_000);
});
