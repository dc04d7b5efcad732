// Where a result came from: the machine (CPU, cores, kernel), the runtime and package versions that served the
// targets, the load tools, the pinning and the command line. Written into every result file.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, platform, release, type } from "node:os";
import { fileURLToPath } from "node:url";
import { GENERATOR_NAME } from "./generator.ts";
import { HAS_TASKSET, LOAD_CORE, SERVER_CORE } from "./processes.ts";
import type { Provenance } from "./schema.ts";
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

export function provenance(command: string, loadTool: "wrk" | "own"): Provenance {
  const wrk = wrkVersion();
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
    pinning: HAS_TASKSET ? { server: String(SERVER_CORE), load: String(LOAD_CORE) } : null,
    command,
  };
}
