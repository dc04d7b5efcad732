// Rough WebSocket figures per adapter (not the benchmark): server RSS per idle socket at 1,000 sockets, and echo
// round trips over 64 sockets. Run: node_modules/.bin/node packages/conformance/test/measure/websocket.ts [runtime...]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import type { RuntimeName } from "@asyncview/cli/args";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { startServerProcess } from "../../src/index.ts";

const APP = fileURLToPath(new URL("../../src/websocket.ts", import.meta.url));
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
const settle = () => new Promise((r) => setTimeout(r, 1_000));

for (const runtime of (process.argv.slice(2) as RuntimeName[]).length ? (process.argv.slice(2) as RuntimeName[]) : (["node", "bun", "deno"] as RuntimeName[])) {
  const { command, args } = runtimeCommand(runtime);
  const server = await startServerProcess({ command, args: [...args, "--port", "0", APP] });
  const base = server.url.replace(/^http/, "ws");
  const pid = ((await (await fetch(`${server.url}/pid`)).json()) as { pid: number }).pid;
  // Warm up the socket path, then measure 1,000 idle sockets.
  await Promise.all(Array.from({ length: 50 }, () => open(`${base}/ws/echo`).then((ws) => ws.close())));
  await settle();
  const before = rss(pid);
  const idle: WebSocket[] = [];
  for (let i = 0; i < 1_000; i += 100) idle.push(...(await Promise.all(Array.from({ length: 100 }, () => open(`${base}/ws/echo`)))));
  await settle();
  const perSocket = (rss(pid) - before) / 1_000;
  for (const ws of idle) ws.terminate();
  await settle();

  // Echo: 64 sockets, each 200 round trips one after another.
  const sockets = await Promise.all(Array.from({ length: 64 }, () => open(`${base}/ws/echo`)));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    sockets.map(async (ws) => {
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await new Promise<void>((resolve) => {
          ws.once("message", () => resolve());
          ws.send(`m${i}`);
        });
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.floor((latencies.length - 1) * p)]!.toFixed(2);
  for (const ws of sockets) ws.close();
  await server.stop();
  console.log(
    JSON.stringify({
      runtime,
      rssPerIdleSocketKiB: Math.round(perSocket / 1024 * 10) / 10,
      echo64: { messagesPerSecond: Math.round(latencies.length / seconds), p50ms: pct(0.5), p99ms: pct(0.99) },
    }),
  );
}
