// What the standalone benchmark scripts (io-views.ts) share: starting asyncview targets as processes pinned to
// core 0 and waiting for their "listening on" line. Every target listens on 127.0.0.1.

import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import type { RuntimeName } from "@asyncview/cli/args";

const require = createRequire(import.meta.url);
/** The demo app the asyncview targets serve, and the demo's upstream service, found through @asyncview/demo. */
export const DEMO_APP = require.resolve("@asyncview/demo");
export const UPSTREAM = require.resolve("@asyncview/demo/upstream");
const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** The command run on one core (server on core 0, load generator on core 1) when taskset exists. */
export function onCore(core: number, command: string, args: string[]): { command: string; args: string[] } {
  return HAS_TASKSET ? { command: "taskset", args: ["-c", String(core), command, ...args] } : { command, args };
}

export interface TargetSpec {
  name: string;
  command: string;
  args: string[];
}

/** asyncview on one adapter, started exactly as `pnpm serve --runtime <runtime>` does. */
export function asyncviewTarget(runtime: RuntimeName, extra: string[] = []): TargetSpec {
  const { command, args } = runtimeCommand(runtime);
  const label = runtime === "blocking" ? `asyncview/blocking (${extra[extra.indexOf("--threads") + 1] ?? "default"} threads)` : `asyncview/${runtime}`;
  return { name: label, command, args: [...args, "--port", "0", ...extra, DEMO_APP] };
}

export interface Running {
  spec: TargetSpec;
  url: string;
  stop(): void;
}

/** Starts a target pinned to core 0 and waits for its "listening on" line. */
export function start(spec: TargetSpec): Promise<Running> {
  const { command, args } = onCore(0, spec.command, spec.args);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${spec.name} did not start within 20 s`));
    }, 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ spec, url: match[1]!, stop: () => child.kill("SIGTERM") });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited with ${code} before listening`));
    });
  });
}

export const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
