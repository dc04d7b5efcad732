// The lifespan app (src/lifespan.ts) on every adapter, each a real server process started as the CLI starts it: a
// hook that never settles is given up at the graceful-shutdown deadline (shutdown) or waited for idle until a signal
// (startup), and a startup hook that throws something other than an Error is reported by its value; same on all four.

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RuntimeName } from "@asyncview/cli/args";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { startServerProcess } from "../src/index.ts";

const LIFESPAN_APP = fileURLToPath(new URL("../src/lifespan.ts", import.meta.url));
type Fault = "shutdown-never-settles" | "startup-never-settles" | "startup-throws-string" | "startup-throws-null";

/** The serve arguments and environment of the lifespan app with `fault`, on a free port with a 1 s shutdown deadline. */
function command(runtime: RuntimeName, fault: Fault) {
  const { command, args } = runtimeCommand(runtime);
  const serveArgs = [...args, "--port", "0", "--no-access-log", "--timeout-graceful-shutdown", "1", LIFESPAN_APP];
  return { command, args: serveArgs, env: { ASYNCVIEW_LIFESPAN_FAULT: fault } };
}

/** A process that may never listen: its output so far, its exit, and a wait for a line of its output. */
function launch(runtime: RuntimeName, fault: Fault) {
  const { command: file, args, env } = command(runtime, fault);
  const child: ChildProcess = spawn(file, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const killer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  void exited.then(() => clearTimeout(killer));
  const printed = async (text: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    return output.includes(text);
  };
  return { child, exited, printed, output: () => output };
}

/** CPU seconds `pid` used so far (user + system, every thread), from /proc (Linux; USER_HZ is 100). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("lifespan: %s", (runtime) => {
  it("a shutdown hook that never settles is given up at the deadline, logged by name at error level; the next runs; exit 0", async () => {
    const server = await startServerProcess(command(runtime, "shutdown-never-settles"));
    try {
      const started = Date.now();
      const exit = await server.stop("SIGTERM", 8_000);
      const output = server.output();
      expect(exit, output).toEqual({ code: 0, signal: null });
      expect(Date.now() - started, "the 1 s deadline, and little more").toBeLessThan(5_000);
      const lines = output.split("\n").filter((line) => line.includes("shutdown hook did not finish"));
      expect(lines.length, output).toBeGreaterThan(0);
      for (const line of lines) {
        expect(JSON.parse(line), line).toMatchObject({ level: "error", hook: 0, name: "neverSettles" });
      }
      expect(output).toContain("lifespan app: the next shutdown hook ran");
    } finally {
      await server.stop("SIGKILL");
    }
  }, 30_000);

  it("a startup hook that never settles is waited for, idle, until SIGTERM: then exit 1 saying startup did not finish", async () => {
    const run = launch(runtime, "startup-never-settles");
    try {
      expect(await run.printed("the startup hook waits forever"), run.output()).toBe(true);
      // Idle: some 1 s window within 5 uses under 0.25 CPU seconds (the blocking baseline's other threads may still
      // be loading the app in the first ones; a process that spins never has such a window).
      const windows: number[] = [];
      while (windows.length < 5 && !windows.some((cpu) => cpu < 0.25)) {
        const before = cpuSeconds(run.child.pid!);
        await new Promise((r) => setTimeout(r, 1_000));
        expect(run.child.exitCode, `still waiting for startup: ${run.output()}`).toBe(null);
        windows.push(cpuSeconds(run.child.pid!) - before);
      }
      expect(Math.min(...windows), `CPU seconds in each 1 s of waiting: ${windows.join(", ")}`).toBeLessThan(0.25);
      run.child.kill("SIGTERM");
      expect(await run.exited, run.output()).toEqual({ code: 1, signal: null });
      expect(run.output()).toContain("error: SIGTERM before the server started: startup did not finish");
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 30_000);

  it.each<[Fault, string]>([
    ["startup-throws-string", 'error: startup hook threw a non-Error value: "startup string"'],
    ["startup-throws-null", "error: startup hook threw a non-Error value: null"],
  ])("%s: exit 1 with the thrown value in the error line", async (fault, line) => {
    const run = launch(runtime, fault);
    try {
      expect(await run.exited, run.output()).toEqual({ code: 1, signal: null });
      expect(run.output().split("\n"), run.output()).toContain(line);
      expect(run.output()).not.toContain("TypeError");
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 30_000);
});
