// `new App({ requestScope: false })` on every adapter, each a real server process: no context scope per request (no
// request id in the view or in its log lines) until a thread-sensitive syncToAsync function or a ContextVar exists,
// then scoped requests again, kept apart.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import type { RuntimeName } from "@asyncview/cli/args";
import type { ServerProcess } from "../src/index.ts";
import { serveApp } from "./adapters.ts";

const SCOPELESS_APP = fileURLToPath(new URL("../src/scopeless.ts", import.meta.url));

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("requestScope: false on %s", (runtime) => {
  let server: ServerProcess;

  beforeAll(async () => {
    // One blocking thread: the ContextVar made by /scope/make-var lives in the thread that ran it (module state is per thread).
    server = await serveApp(runtime, SCOPELESS_APP, runtime === "blocking" ? ["--threads", "1"] : []);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  const probe = async (user: string, marker: string) => {
    const response = await fetch(`${server.url}/scope?user=${user}&marker=${marker}`, { headers: { "x-request-id": `rid-${user}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as unknown;
  };
  const logLine = (marker: string) =>
    server
      .output()
      .split("\n")
      .filter((line) => line.includes(marker))
      .map((line) => JSON.parse(line) as { requestId?: string })[0];

  it("serves without a scope: no request id in the view or its log line; a thread-sensitive syncToAsync function or a ContextVar made later brings it back; a request still without one cannot set a ContextVar", async () => {
    const marker = `m-${runtime}-${Date.now()}`;
    expect(await probe("ann", `${marker}-a`)).toEqual({ before: null, after: null, keyed: false, user: null });
    await expect.poll(() => logLine(`${marker}-a`), { timeout: 3_000 }).toBeDefined();
    expect(logLine(`${marker}-a`)!.requestId, server.output()).toBeUndefined();

    const lateSet = fetch(`${server.url}/scope/late-set?ms=300`); // in flight without a scope while the need arises
    await new Promise((r) => setTimeout(r, 100));
    expect(await (await fetch(`${server.url}/scope/make-sensitive`)).json()).toEqual({ made: true });
    expect((await lateSet).status, server.output()).toBe(500);
    await expect.poll(() => server.output(), { timeout: 3_000 }).toContain("ContextVar set-too-late: set() without a context scope");
    expect(await probe("cy", `${marker}-s`)).toEqual({ before: "rid-cy", after: "rid-cy", keyed: true, user: null });

    expect(await (await fetch(`${server.url}/scope/make-var`)).json()).toEqual({ made: true });
    const [ann, bob] = await Promise.all([probe("ann", `${marker}-b`), probe("bob", `${marker}-c`)]);
    expect(ann).toEqual({ before: "rid-ann", after: "rid-ann", keyed: true, user: "ann" });
    expect(bob).toEqual({ before: "rid-bob", after: "rid-bob", keyed: true, user: "bob" });
    await expect.poll(() => logLine(`${marker}-c`), { timeout: 3_000 }).toBeDefined();
    expect(logLine(`${marker}-c`)!.requestId, server.output()).toBe("rid-bob");
  });
});
