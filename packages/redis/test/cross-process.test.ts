// Rooms across processes and runtimes: node, bun and deno processes each subscribe to one room through the same
// real redis-server, and each runtime in turn publishes text and binary messages that all three must receive unchanged.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisChannelLayer } from "../src/index.ts";
import { MESSAGES, printable, type Printed } from "./processes/messages.ts";
import { RedisServer } from "./redis-server.ts";

const MEMBER = fileURLToPath(new URL("./processes/member.ts", import.meta.url));
const require = createRequire(import.meta.url);
/** The pinned runtimes (root devDependencies): their own binaries, not the node_modules/.bin shims. */
const RUNTIMES = {
  node: [process.execPath],
  bun: [join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe")],
  deno: [join(dirname(require.resolve("deno/package.json")), "deno"), "run", "--allow-all"],
} as const;
type RuntimeName = keyof typeof RUNTIMES;

let redis: RedisServer;
const subscribers = new Map<RuntimeName, { child: ChildProcess; lines: string[]; stderr: () => string }>();

/** Starts a subscribing member under `runtime` and waits for its "ready" line (at most 30 s). */
function startSubscriber(runtime: RuntimeName, room: string) {
  const [command, ...args] = RUNTIMES[runtime];
  const child = spawn(command, [...args, MEMBER, "subscribe", redis.url, room], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  let partial = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  return new Promise<{ child: ChildProcess; lines: string[]; stderr: () => string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} member not ready within 30 s:\n${stderr}`)), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      partial += chunk;
      const complete = partial.split("\n");
      partial = complete.pop()!;
      for (const line of complete) {
        if (line === "ready") {
          clearTimeout(timer);
          resolve({ child, lines, stderr: () => stderr });
        } else lines.push(line);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} member exited (${code}) before it was ready:\n${stderr}`));
    });
  });
}

beforeAll(async () => {
  redis = await RedisServer.start();
  for (const runtime of Object.keys(RUNTIMES) as RuntimeName[]) subscribers.set(runtime, await startSubscriber(runtime, "across"));
}, 120_000);

afterAll(async () => {
  for (const { child } of subscribers.values()) child.kill("SIGKILL");
  await redis?.kill();
});

describe.each(Object.keys(RUNTIMES) as RuntimeName[])("a %s process publishes", (publisher) => {
  it("every text and binary message reaches the node, bun and deno processes unchanged", async () => {
    for (const { lines } of subscribers.values()) lines.length = 0;
    const [command, ...args] = RUNTIMES[publisher];
    await promisify(execFile)(command, [...args, MEMBER, "publish", redis.url, "across"], { timeout: 60_000 });
    const expected: Printed[] = MESSAGES.map(printable);
    const deadline = Date.now() + 20_000;
    while ([...subscribers.values()].some((s) => s.lines.length < expected.length) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const [runtime, { lines, stderr }] of subscribers) {
      expect(lines.map((line) => JSON.parse(line) as Printed), `${runtime} received (stderr: ${stderr()})`).toEqual(expected);
    }
  });
});

it("after Redis is killed and restarted on its port, the three processes receive again without subscribing anew", async () => {
  await redis.kill();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await redis.start();
  const publisher = redisChannelLayer(redis.url, { logger: { info() {}, warn() {}, error() {} } });
  try {
    await publisher.ready();
    for (const { lines } of subscribers.values()) lines.length = 0;
    // Pub/sub keeps nothing for a subscriber that is not back yet: publish until each process has one.
    const deadline = Date.now() + 20_000;
    while ([...subscribers.values()].some((s) => s.lines.length === 0) && Date.now() < deadline) {
      await publisher.publish("across", "after the restart");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await publisher.close();
  }
  for (const [runtime, { lines, stderr }] of subscribers) {
    expect(lines[0], `${runtime} received after the restart (stderr: ${stderr()})`).toBe(JSON.stringify({ text: "after the restart" }));
    // One line when Redis went, one when it came back, in every runtime.
    const log = stderr().trim().split("\n");
    expect(log.map((line) => /is unreachable|is back after/.exec(line)?.[0]), `${runtime} log`).toEqual(["is unreachable", "is back after"]);
    console.log(`${runtime}: ${log[1]}`);
  }
});

it("the three processes hold one Redis channel subscription each, and none once they have gone", async () => {
  expect(await redis.cli("PUBSUB", "NUMSUB", "asyncview:across")).toEqual(["asyncview:across", "3"]);
  for (const { child } of subscribers.values()) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  expect(await redis.cli("PUBSUB", "NUMSUB", "asyncview:across")).toEqual(["asyncview:across", "0"]);
});
