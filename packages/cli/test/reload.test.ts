// `pnpm serve --reload` on node: a saved change restarts the server with the new code, a save that does not
// compile is reported (naming the module) and the server comes back on the next good save.

import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));
const dir = fileURLToPath(new URL("./.tmp/", import.meta.url));
const appFile = `${dir}reload-app.ts`;
const source = (body: string) => `import { App, json } from "@asyncview/core";\nexport default new App().get("/v", () => ${body});\n`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("restarts on change, reports a broken save, recovers on the next good one", async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(appFile, source("json({ v: 1 })"));
  const child = spawn(process.execPath, [launcher, "--reload", "--port", "0", appFile], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c));
  child.stderr.on("data", (c: Buffer) => (out += c));
  const lastUrl = () => [...out.matchAll(/listening on (http:\/\/\S+)/g)].at(-1)?.[1];
  const version = async () => {
    const url = lastUrl();
    if (!url) return undefined;
    return ((await (await fetch(`${url}/v`)).json()) as { v: number }).v;
  };
  try {
    expect(await until(async () => ((await version()) === 1 ? 1 : undefined), "v1")).toBe(1);
    writeFileSync(appFile, source("json({ v: 2 })"));
    expect(await until(async () => ((await version()) === 2 ? 2 : undefined), "v2 after a change")).toBe(2);
    writeFileSync(appFile, source("json({ v: 2 }"));
    await until(async () => (/cannot load app module .*reload-app\.ts/.test(out) ? true : undefined), "the load error");
    writeFileSync(appFile, source("json({ v: 3 })"));
    expect(await until(async () => ((await version()) === 3 ? 3 : undefined), "v3 after recovering")).toBe(3);
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  }
}, 60_000);
