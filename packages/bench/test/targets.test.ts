// Every target, started as its own process exactly as `pnpm bench` starts it, answers every scenario it claims (headers and keep-alive
// too), fails the ones it lists as lacking, and cancels its upstream calls when a /gather client goes away. Real runtimes, real sockets.

import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_THREADS } from "../src/args.ts";
import { checkAnswer } from "../src/check.ts";
import { LOAD_CORE, SERVER_CORE, type Server, startServer } from "../src/processes.ts";
import { SCENARIOS } from "../src/scenarios.ts";
import { SERVER_ENV, TARGETS } from "../src/targets.ts";

const UPSTREAM = createRequire(import.meta.url).resolve("@asyncview/demo/upstream");
const servers = new Map<string, Server>();
let upstream: Server;

beforeAll(async () => {
  upstream = await startServer("upstream", { command: process.execPath, args: [UPSTREAM, "--port", "0"] }, { core: LOAD_CORE });
  const env = { ASYNCVIEW_UPSTREAM: upstream.url };
  const started = await Promise.all(
    TARGETS.map(async (t) => [t.id, await startServer(t.id, t.command({ threads: DEFAULT_THREADS, port: 0 }), { core: SERVER_CORE, env: { ...SERVER_ENV, ...env } })] as const),
  );
  for (const [id, server] of started) servers.set(id, server);
}, 120_000);

async function stats(): Promise<{ served: number; aborted: number; inFlight: number }> {
  return (await (await fetch(`${upstream.url}/stats`)).json()) as { served: number; aborted: number; inFlight: number };
}

/** Polls `check` every 20 ms for up to 2.5 s (less than the 3 s upstream calls, so a call left running shows). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 125; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out waiting for the upstream's counters");
}

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  await upstream?.stop();
});

describe.each(TARGETS.map((t) => [t.id, t] as const))("%s", (id, target) => {
  it.each(SCENARIOS.filter((s) => !target.lacks.includes(s.name)).map((s) => [s.name, s] as const))("answers %s", async (_name, scenario) => {
    expect(await checkAnswer(servers.get(id)!.url, scenario)).toBeNull();
  });

  // The same cancellation work everywhere: a client that goes away mid-/gather cancels every upstream call.
  it("cancels its upstream calls when the client goes away during /gather", async () => {
    await fetch(`${upstream.url}/stats`, { method: "DELETE" });
    const client = new AbortController();
    const request = fetch(`${servers.get(id)!.url}/gather?n=5&ms=3000`, { signal: client.signal }).catch(() => null);
    await waitFor(async () => (await stats()).inFlight === 5);
    client.abort();
    await request;
    await waitFor(async () => (await stats()).inFlight === 0);
    expect(await stats()).toMatchObject({ served: 0, aborted: 5, inFlight: 0 });
  });

  if (target.lacks.length > 0) {
    it(`really lacks ${target.lacks.join(", ")}`, async () => {
      for (const name of target.lacks) {
        expect(await checkAnswer(servers.get(id)!.url, SCENARIOS.find((s) => s.name === name)!), name).not.toBeNull();
      }
    });
  }
});
