// `asyncview serve --channel-layer redis://...` on node, bun and deno: the runtime's own process builds the Redis
// layer before it loads the app module (its views publish through Redis), and lets the connections go when it exits.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_NAME, redisChannelLayer } from "@asyncview/redis";
// The redis package's own test helper: a real redis-server on a free port, stopped by its pid.
import { RedisServer } from "../../redis/test/redis-server.ts";
import { APP_ENV } from "../src/args.ts";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));
const APP = fileURLToPath(new URL("./fixtures/rooms-app.ts", import.meta.url));
const { [APP_ENV]: _unset, ...env } = process.env;

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});

async function layerConnections(): Promise<number> {
  return (await redis.cli("CLIENT", "LIST")).filter((line) => line.includes(` name=${CLIENT_NAME} `)).length;
}

describe.each(["node", "bun", "deno"])("serve --runtime %s --channel-layer redis://...", (runtime) => {
  it("builds the layer in the runtime's process before the app module loads: a view publishes through Redis; its two connections go when it exits", async () => {
    const child = spawn(process.execPath, [launcher, "--runtime", runtime, "--port", "0", "--channel-layer", redis.url, APP], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    const exited = once(child, "exit");
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk;
          const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.once("exit", () => reject(new Error(`exited before listening: ${stderr}`)));
      });
      expect(await (await fetch(`${url}/hello`)).json()).toEqual({ msg: "Hello, async!" });
      // A view of the app publishes; this process, subscribed through the same Redis, receives it.
      const listener = redisChannelLayer(redis.url, { logger: { info() {}, warn() {}, error() {} } });
      try {
        let received: (message: unknown) => void = () => {};
        const arrived = new Promise((resolve) => (received = resolve));
        await listener.subscribe("cli-room", (message) => received(message));
        const published = await fetch(`${url}/publish/cli-room`, { method: "POST", body: `from ${runtime}` });
        expect(await published.json()).toEqual({ published: true });
        expect(await arrived).toBe(`from ${runtime}`);
      } finally {
        await listener.close();
      }
      const deadline = Date.now() + 10_000;
      // The server's two connections (this test's own listener, closed above, may take a moment to leave the list).
      while ((await layerConnections()) !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await layerConnections()).toBe(2);
      child.kill("SIGINT");
      const [code] = await exited;
      expect(code, stderr).toBe(0);
      const gone = Date.now() + 10_000;
      while ((await layerConnections()) > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
      expect(await layerConnections()).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

it("refuses a --channel-layer that is not a Redis URL with exit 2, naming it", async () => {
  const child = spawn(process.execPath, [launcher, "--channel-layer", "postgres://db", APP], { stdio: ["ignore", "pipe", "pipe"], env });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, "exit");
  expect(code).toBe(2);
  expect(stderr).toContain('--channel-layer must be a redis:// or rediss:// URL, got "postgres://db"');
});
