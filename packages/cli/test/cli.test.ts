// The serve CLI: argument parsing and errors, --help, the `asyncview` command, and `serve.ts` starting a real
// runtime process that prints "listening on URL", serves the app, and exits 0 on SIGINT.

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APP_ENV, parseServeArgs, UsageError } from "../src/args.ts";
import { compileCacheEnv, pinned, runtimeCommand } from "../src/runtime-command.ts";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));
const command = fileURLToPath(new URL("../src/asyncview.ts", import.meta.url));
const APP = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
/** The environment without $ASYNCVIEW_APP, so a test sees the CLI's own behaviour whatever the caller set. */
const { [APP_ENV]: _unset, ...env } = process.env;

describe("parseServeArgs", () => {
  it("fills in the documented defaults", () => {
    expect(parseServeArgs(["app.ts"])).toEqual({ runtime: "node", port: 8000, host: "127.0.0.1", app: "app.ts", threads: undefined, reload: false, reloadDirs: [], crashOnUnhandled: false, workers: 1, limitMaxRequests: undefined, limitConcurrency: undefined, backlog: undefined, keepAliveTimeout: undefined, headersTimeout: undefined, writeTimeout: undefined, requestTimeout: undefined, shutdownTimeout: undefined, maxHeaderSize: undefined, proxyHeaders: false, forwardedAllowIps: undefined, accessLog: "text", help: false });
  });

  it("takes the app module from $ASYNCVIEW_APP when no argument names one, and requires one otherwise", () => {
    const saved = process.env[APP_ENV];
    try {
      delete process.env[APP_ENV];
      expect(() => parseServeArgs([])).toThrow(/missing the app module/);
      expect(parseServeArgs(["--help"]).help).toBe(true);
      process.env[APP_ENV] = "/somewhere/app.ts";
      expect(parseServeArgs([]).app).toBe("/somewhere/app.ts");
      expect(parseServeArgs(["mine.ts"]).app).toBe("mine.ts");
    } finally {
      if (saved === undefined) delete process.env[APP_ENV];
      else process.env[APP_ENV] = saved;
    }
  });

  it("finds the bun and deno binaries of their npm packages, not the node_modules/.bin shims", () => {
    expect(pinned("bun")).toMatch(/node_modules\/bun\/bin\/bun\.exe$/);
    expect(pinned("deno")).toMatch(/node_modules\/deno\/deno$/);
    expect(existsSync(pinned("bun")) && existsSync(pinned("deno"))).toBe(true);
  });

  it("reads every option and the app module", () => {
    expect(parseServeArgs(["--runtime", "node", "--port", "0", "--host", "::1", "my/app.ts"])).toEqual({
      runtime: "node",
      port: 0,
      host: "::1",
      app: "my/app.ts",
      threads: undefined,
      reload: false,
      reloadDirs: [],
      crashOnUnhandled: false,
      workers: 1, limitMaxRequests: undefined, limitConcurrency: undefined, backlog: undefined, keepAliveTimeout: undefined, headersTimeout: undefined, writeTimeout: undefined, requestTimeout: undefined, shutdownTimeout: undefined, maxHeaderSize: undefined, proxyHeaders: false, forwardedAllowIps: undefined, accessLog: "text", 
      help: false,
    });
    expect(parseServeArgs(["--crash-on-unhandled", "app.ts"]).crashOnUnhandled).toBe(true);
    expect(
      parseServeArgs([
        "--workers", "3", "--limit-max-requests", "1000", "--limit-concurrency", "50", "--backlog", "128",
        "--timeout-keep-alive", "2.5", "--timeout-headers", "4", "--timeout-write", "7", "--timeout-request", "0.25",
        "--timeout-graceful-shutdown", "3", "--max-header-size", "8192", "--proxy-headers",
        "--forwarded-allow-ips", "10.0.0.1, 10.0.0.2", "--log-format", "json", "app.ts",
      ]),
    ).toMatchObject({
      workers: 3, limitMaxRequests: 1000, limitConcurrency: 50, backlog: 128, keepAliveTimeout: 2500, headersTimeout: 4000,
      writeTimeout: 7000, requestTimeout: 250, shutdownTimeout: 3000, maxHeaderSize: 8192, proxyHeaders: true,
      forwardedAllowIps: ["10.0.0.1", "10.0.0.2"], accessLog: "json",
    });
    expect(parseServeArgs(["--no-access-log", "app.ts"]).accessLog).toBe(false);
    expect(parseServeArgs(["--workers", "auto", "app.ts"]).workers).toBeGreaterThanOrEqual(1);
    expect(() => parseServeArgs(["--workers", "0", "app.ts"])).toThrow(/--workers must be an integer in 1\.\.1024, got "0"/);
    expect(() => parseServeArgs(["--timeout-keep-alive", "0", "app.ts"])).toThrow(/--timeout-keep-alive must be a number of seconds/);
    expect(() => parseServeArgs(["--log-format", "xml", "app.ts"])).toThrow(/--log-format must be text or json/);
    expect(() => parseServeArgs(["--forwarded-allow-ips", "10.0.0.0/8", "app.ts"])).toThrow(/--forwarded-allow-ips takes IP addresses or "\*".*got "10\.0\.0\.0\/8"/);
    expect(() => parseServeArgs(["--forwarded-allow-ips", "bogus", "app.ts"])).toThrow(/no CIDR ranges or names/);
    expect(parseServeArgs(["--forwarded-allow-ips", "*", "app.ts"]).forwardedAllowIps).toEqual(["*"]);
    expect(parseServeArgs(["--forwarded-allow-ips", "::1,127.0.0.1", "app.ts"]).forwardedAllowIps).toEqual(["::1", "127.0.0.1"]);
    expect(parseServeArgs(["--runtime", "blocking", "--threads", "8", "app.ts"]).threads).toBe(8);
    expect(parseServeArgs(["--reload", "--reload-dir", "src", "--reload-dir", "lib", "app.ts"]).reloadDirs).toEqual(["src", "lib"]);
    expect(parseServeArgs(["--channel-layer", "redis://:pw@127.0.0.1:6379/2", "app.ts"]).channelLayer).toBe("redis://:pw@127.0.0.1:6379/2");
    expect(parseServeArgs(["app.ts"]).channelLayer).toBeUndefined();
  });

  it.each([
    [["--runtime", "python"], /--runtime must be one of node, bun, deno, blocking/],
    [["--port", "http"], /--port must be an integer in 0\.\.65535/],
    [["--port", "70000"], /--port must be an integer/],
    [["--frobnicate", "app.ts"], /Unknown option '--frobnicate'/],
    [["a.ts", "b.ts"], /at most one app module/],
    [["--runtime", "blocking", "--threads", "0", "app.ts"], /--threads must be an integer in 1\.\.1024/],
    [["--threads", "4", "app.ts"], /--threads applies only to --runtime blocking/],
    [["--reload-dir", "src", "app.ts"], /--reload-dir applies only with --reload/],
    [["--channel-layer", "http://127.0.0.1:6379", "app.ts"], /--channel-layer must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127\.0\.0\.1:6379"/],
    [["--runtime", "blocking", "--channel-layer", "redis://127.0.0.1:6379", "app.ts"], /--channel-layer applies to node, bun and deno/],
  ])("rejects %j with a message that names the problem", (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });
});

describe("serve.ts", () => {
  it("prints help and exits 0", () => {
    const run = spawnSync(process.execPath, [launcher, "--help"], { encoding: "utf8", env });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: asyncview serve");
    expect(run.stdout).toContain("--runtime <name>");
  });

  it("exits 2 with the problem and the usage on a bad flag", () => {
    const run = spawnSync(process.execPath, [launcher, "--port", "nope"], { encoding: "utf8", env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error: --port must be an integer");
    expect(run.stderr).toContain("Usage: asyncview serve");
  });

  it("exits 1 naming the module when the app cannot be loaded", () => {
    const run = spawnSync(process.execPath, [launcher, "--port", "0", "does/not/exist.ts"], { encoding: "utf8", env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("does/not/exist.ts");
  });

  it("serves the app on node, with Node's compile cache in the temp folder, and exits 0 on SIGINT", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "asyncview-cli-"));
    const { NODE_COMPILE_CACHE: _cache, NODE_DISABLE_COMPILE_CACHE: _off, ...rest } = env;
    const child = spawn(process.execPath, [launcher, "--runtime", "node", "--port", "0", APP], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...rest, TMPDIR: tmp },
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
      child.kill("SIGINT");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(stderr).toContain("SIGINT: shutting down gracefully");
      // The server's modules, the app's among them, were cached on the way out; the next start loads them from there.
      expect(readdirSync(join(tmp, "node-compile-cache"), { recursive: true }).length).toBeGreaterThan(1);
    } finally {
      child.kill("SIGKILL");
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("compileCacheEnv", () => {
  it("turns Node's compile cache on for node and blocking in Node's default folder, unless the user chose", () => {
    const folder = join(tmpdir(), "node-compile-cache");
    expect(compileCacheEnv("node", {})).toEqual({ NODE_COMPILE_CACHE: folder });
    expect(compileCacheEnv("blocking", {})).toEqual({ NODE_COMPILE_CACHE: folder });
    expect(compileCacheEnv("bun", {})).toEqual({});
    expect(compileCacheEnv("deno", {})).toEqual({});
    expect(compileCacheEnv("node", { NODE_COMPILE_CACHE: "/elsewhere" })).toEqual({});
    expect(compileCacheEnv("node", { NODE_DISABLE_COMPILE_CACHE: "1" })).toEqual({});
    expect(runtimeCommand("node").env).toEqual(compileCacheEnv("node"));
  });
});

describe("the asyncview command", () => {
  it("explains itself with --help and exits 0", () => {
    const run = spawnSync(process.execPath, [command, "--help"], { encoding: "utf8", env });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: asyncview <command>");
    expect(run.stdout).toContain("Usage: asyncview serve [options] <app module>");
  });

  it("passes `serve` to the launcher: --help, and a missing app module is a usage error", () => {
    const help = spawnSync(process.execPath, [command, "serve", "--help"], { encoding: "utf8", env });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--runtime <name>");
    const missing = spawnSync(process.execPath, [command, "serve", "--runtime", "bun"], { encoding: "utf8", env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: missing the app module");
  });

  it.each([[[]], [["frobnicate"]]])("exits 2 naming the problem for %j", (argv) => {
    const run = spawnSync(process.execPath, [command, ...argv], { encoding: "utf8", env });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/error: (missing the command|unknown command "frobnicate")/);
  });
});

describe("a runtime entry", () => {
  it("closes gracefully once and exits 0 when the signal arrives twice (process group + the launcher's copy)", async () => {
    const entry = fileURLToPath(new URL("../src/entries/node.ts", import.meta.url));
    const child = spawn(process.execPath, [entry, "--port", "0", APP], { stdio: ["ignore", "pipe", "pipe"], env });
    const exited = once(child, "exit");
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk;
          if (stdout.includes("listening on")) resolve();
        });
        child.once("exit", () => reject(new Error(`exited before listening: ${stderr}`)));
      });
      child.kill("SIGTERM");
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(stderr.match(/shutting down gracefully/g)).toHaveLength(1);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
