// Where a result came from: the machine (CPU, cores, kernel), the runtime and package versions that served the
// targets, the load tools, the pinning, the command line and the git commit (dirty or not). Written into every result.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, platform, release, type } from "node:os";
import { fileURLToPath } from "node:url";
import { GENERATOR_NAME } from "./generator.ts";
import { coreList, HAS_TASKSET, type Pinning, pinningFor } from "./processes.ts";
import type { GitInfo, Provenance } from "./schema.ts";
import { runtimeBinary } from "./targets.ts";
import { wrkVersion } from "./wrk.ts";

function versionOf(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: "utf8" });
  return run.error ? "not found" : (run.stdout || run.stderr).split("\n")[0]!.trim();
}

/** Versions of the frameworks the comparison targets run, as installed for benchmarks/. */
function frameworkVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of ["hono", "@hono/node-server", "express", "fastify"]) {
    try {
      const file = fileURLToPath(new URL(`../../../benchmarks/node_modules/${name}/package.json`, import.meta.url));
      versions[name] = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      versions[name] = "not installed";
    }
  }
  return versions;
}

/** The repository root: the code that a run measures. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The commit checked out in `dir`, its branch and whether the tree is dirty; null outside a checkout or without git. */
export function gitInfo(dir: string): GitInfo | null {
  const git = (...args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  const head = git("rev-parse", "--verify", "-q", "HEAD");
  if (head.error || head.status !== 0) return null;
  const status = git("status", "--porcelain");
  if (status.status !== 0) return null;
  const branch = git("symbolic-ref", "-q", "--short", "HEAD");
  return {
    commit: head.stdout.trim(),
    dirty: status.stdout.trim() !== "",
    ...(branch.status === 0 ? { branch: branch.stdout.trim() } : {}),
  };
}

export function provenance(command: string, loadTool: "wrk" | "own", pinning: Pinning = pinningFor(1)): Provenance {
  const wrk = wrkVersion();
  const git = gitInfo(REPO_ROOT);
  return {
    date: new Date().toISOString(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    kernel: release(),
    os: `${type()} (${platform()})`,
    runtimes: {
      node: process.version,
      bun: versionOf(runtimeBinary("bun"), ["--version"]),
      deno: versionOf(runtimeBinary("deno"), ["--version"]).replace(/ \(.*$/, "").replace(/^deno /, ""),
    },
    packages: frameworkVersions(),
    loadTools: { closed: loadTool === "wrk" && wrk ? wrk : GENERATOR_NAME, open: GENERATOR_NAME },
    pinning: HAS_TASKSET ? { server: coreList(pinning.server), load: String(pinning.load), ...(pinning.shared ? { clientSharesServerCores: true } : {}) } : null,
    command,
    ...(git ? { git } : {}),
  };
}
