// The serve CLI: argument parsing and errors, --help, and `serve.ts` starting a real runtime process
// that prints "listening on URL", serves the demo app, and exits 0 on SIGINT.

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_APP, parseServeArgs, UsageError } from "../src/args.ts";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));

describe("parseServeArgs", () => {
  it("fills in the documented defaults", () => {
    expect(parseServeArgs([])).toEqual({ runtime: "node", port: 8000, host: "127.0.0.1", app: DEFAULT_APP, threads: undefined, reload: false, help: false });
    expect(DEFAULT_APP).toMatch(/apps\/demo\/src\/app\.ts$/);
  });

  it("reads every option and the app module", () => {
    expect(parseServeArgs(["--runtime", "node", "--port", "0", "--host", "::1", "my/app.ts"])).toEqual({
      runtime: "node",
      port: 0,
      host: "::1",
      app: "my/app.ts",
      threads: undefined,
      reload: false,
      help: false,
    });
    expect(parseServeArgs(["--runtime", "blocking", "--threads", "8"]).threads).toBe(8);
  });

  it.each([
    [["--runtime", "python"], /--runtime must be one of node, bun, deno, blocking/],
    [["--port", "http"], /--port must be an integer in 0\.\.65535/],
    [["--port", "70000"], /--port must be an integer/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["a.ts", "b.ts"], /at most one app module/],
    [["--runtime", "blocking", "--threads", "0"], /--threads must be an integer in 1\.\.1024/],
    [["--threads", "4"], /--threads applies only to --runtime blocking/],
  ])("rejects %j with a message that names the problem", (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });
});

describe("serve.ts", () => {
  it("prints help and exits 0", () => {
    const run = spawnSync(process.execPath, [launcher, "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: pnpm serve");
    expect(run.stdout).toContain("--runtime <name>");
  });

  it("exits 2 with the problem and the usage on a bad flag", () => {
    const run = spawnSync(process.execPath, [launcher, "--port", "nope"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error: --port must be an integer");
    expect(run.stderr).toContain("Usage: pnpm serve");
  });

  it("exits 1 naming the module when the app cannot be loaded", () => {
    const run = spawnSync(process.execPath, [launcher, "--port", "0", "does/not/exist.ts"], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("does/not/exist.ts");
  });

  it("serves the demo app on node and exits 0 on SIGINT", async () => {
    const child = spawn(process.execPath, [launcher, "--runtime", "node", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
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
    } finally {
      child.kill("SIGKILL");
    }
  });
});
