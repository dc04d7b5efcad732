// The differential check: every probe in PROBES (odd methods, long and unicode paths, empty and huge bodies,
// bad JSON, ...) goes to node, bun, deno and blocking servers; all must answer with the same status, body and headers.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeRaw, diff, observe, observeRaw, PROBES, RAW_PROBES, type Observation, type ServerProcess } from "../src/index.ts";
import { blocking, bun, deno, node } from "./adapters.ts";

const ADAPTERS = [node, bun, deno, blocking];

describe("differential: the same requests get the same answers on every adapter", () => {
  const servers = new Map<string, ServerProcess>();

  beforeAll(async () => {
    const started = await Promise.all(ADAPTERS.map(async (a) => [a.name, await a.start()] as const));
    for (const [name, server] of started) servers.set(name, server);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }, 30_000);

  for (const probe of PROBES) {
    it(`${probe.method} ${probe.path.length > 60 ? `${probe.path.slice(0, 60)}...` : probe.path} (${probe.name})`, async () => {
      const seen = new Map<string, Observation>();
      for (const [name, server] of servers) seen.set(name, await observe(server.url, probe));
      const reference = seen.get("node")!;
      const disagreements: string[] = [];
      for (const [name, observation] of seen) {
        if (name === "node") continue;
        for (const line of diff(reference, observation)) disagreements.push(`${name} vs node: ${line}`);
      }
      expect(disagreements).toEqual([]);
      // The reference itself must be a real answer, not an empty agreement.
      expect(reference.status).toBeGreaterThanOrEqual(200);
    });
  }

  // Raw-socket probes (issue 8, bugs 4 and 9): one rule per probe, and every adapter must follow it.
  for (const probe of RAW_PROBES) {
    it(`raw: ${probe.name}`, async () => {
      const observed = await Promise.all([...servers].map(async ([name, server]) => [name, await observeRaw(server.url, probe)] as const));
      const broken: string[] = [];
      for (const [name, observation] of observed) {
        for (const problem of probe.check(observation)) broken.push(`${name}: ${problem}`);
      }
      expect(broken, observed.map(([name, o]) => `${name}: ${describeRaw(o)}`).join("\n")).toEqual([]);
    });
  }
});
