// Real WebSocket clients nobody here wrote, against the demo app's /ws/echo and /ws/chat/:room on each adapter's
// process: headless Chromium (driven over the DevTools protocol) and Python's `websockets` library; and /events.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { RuntimeName } from "@asyncview/cli/args";
import type { ServerProcess } from "../src/index.ts";
import { serveApp } from "./adapters.ts";

const DEMO_APP = fileURLToPath(new URL("../../../apps/demo/src/app.ts", import.meta.url));
const PYTHON = "/usr/bin/python3"; // Debian's, with python3-websockets (10.4); pyenv's python3 has no websockets
const EXCHANGE_PY = fileURLToPath(new URL("./clients/exchange.py", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";

/** The same exchange as clients/exchange.py, as an expression of (base, room) run in the page. */
const EXCHANGE_JS = readFileSync(fileURLToPath(new URL("./clients/exchange-browser.js", import.meta.url)), "utf8");

/** Headless Chromium with a DevTools endpoint, and `evaluate` running an async expression in its page. */
class Browser {
  #child: ChildProcess | undefined;
  #profile = "";
  #page: WebSocket | undefined;
  #nextId = 1;

  async start(): Promise<void> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    this.#profile = mkdtempSync(join(tmpdir(), "asyncview-chromium-"));
    const child = (this.#child = spawn(CHROMIUM, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
      `--user-data-dir=${this.#profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ]));
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools endpoint:\n${err}`)), 30_000);
      child.stderr!.on("data", (chunk: Buffer) => {
        err += chunk.toString();
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once("exit", (code) => reject(new Error(`chromium exited (${code}):\n${err}`)));
    });
    const list = await until(async () => (await (await fetch(`http://${new URL(endpoint).host}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[]);
    const page = list.find((t) => t.type === "page")!;
    this.#page = new WebSocket(page.webSocketDebuggerUrl, { maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => {
      this.#page!.once("open", resolve);
      this.#page!.once("error", reject);
    });
  }

  /** Calls the function expression `source` with `args` in the page and returns its JSON result; a page-side exception rejects with its text. */
  async evaluate(source: string, ...args: string[]): Promise<unknown> {
    const id = this.#nextId++;
    const page = this.#page!;
    const expression = `(${source.replace(/^(\/\/.*\n)+/, "")})(${args.map((a) => JSON.stringify(a)).join(", ")})`;
    const reply = new Promise<{ result?: { result: { value: unknown }; exceptionDetails?: { exception?: { description?: string } } } }>((resolve) => {
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number };
        if (message.id !== id) return;
        page.off("message", onMessage);
        resolve(message as never);
      };
      page.on("message", onMessage);
    });
    page.send(JSON.stringify({ id, method: "Runtime.evaluate", params: { expression, awaitPromise: true, returnByValue: true } }));
    const { result } = await reply;
    if (result?.exceptionDetails) throw new Error(`in chromium: ${result.exceptionDetails.exception?.description ?? "exception"}`);
    return result?.result.value;
  }

  async stop(): Promise<void> {
    this.#page?.close();
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    // Chromium's helper processes outlive the browser for a moment and may still write to the profile (ENOTEMPTY).
    if (this.#profile) rmSync(this.#profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

async function until<T>(read: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** What both clients must have received: the demo contract of /ws/echo and /ws/chat/:room. */
function expectContract(result: unknown, greeting: string, room: string): void {
  const r = result as { text: string; binary: unknown; chat: Record<string, Record<string, string>> };
  expect(r.text).toBe(greeting);
  expect(r.binary).toEqual([0, 1, 255]);
  const { aJoined, bJoined, aSawB, aGot, bGot, aSawBLeave } = r.chat as Record<string, Record<string, string>>;
  const a = aJoined!.joined!;
  const b = bJoined!.joined!;
  expect(a).toMatch(/^[0-9a-f-]{36}$/);
  expect(b).toMatch(/^[0-9a-f-]{36}$/);
  expect(a).not.toBe(b);
  expect(aJoined).toEqual({ room, joined: a });
  expect(aSawB).toEqual({ room, joined: b });
  expect(aGot).toEqual({ room, from: a, text: "hi all" });
  expect(bGot).toEqual({ room, from: a, text: "hi all" });
  expect(aSawBLeave).toEqual({ room, left: b });
}

const browser = new Browser();
beforeAll(() => browser.start(), 60_000);
afterAll(() => browser.stop(), 10_000);

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("demo sockets with third-party clients, and events: %s", (runtime) => {
  let server: ServerProcess;
  let base: string;

  beforeAll(async () => {
    server = await serveApp(runtime, DEMO_APP);
    base = server.url.replace(/^http/, "ws");
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it("the demo's GET /events?n=N&ms=M streams N Server-Sent Events, one every M ms, then ends", async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}/events?n=4&ms=100`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    const firstAt = performance.now() - started;
    let body = first.value ?? "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += value;
    }
    const elapsed = performance.now() - started;
    expect(body).toBe([0, 1, 2, 3].map((i) => `data: {"i":${i}}\n\n`).join(""));
    // Streamed as they come: the first event long before the 300 ms the last three wait (wide margins).
    expect(firstAt).toBeLessThan(elapsed / 2);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    const bad = await fetch(`${server.url}/events?n=-1`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "bad_query" } });
  });

  it("Python websockets: echo and chat", async () => {
    const room = `python-${runtime}`;
    const { stdout } = await promisify(execFile)(PYTHON, [EXCHANGE_PY, base, room], { timeout: 30_000 });
    expectContract(JSON.parse(stdout), "hello from python ✓", room);
  }, 40_000);

  it("headless Chromium: echo and chat", async () => {
    const room = `chromium-${runtime}`;
    const result = await browser.evaluate(EXCHANGE_JS, base, room);
    expectContract(result, "hello from chromium ✓", room);
  }, 40_000);
});
