// The command that starts each runtime on its CLI entry, in that runtime's own process.
// Shared by the `pnpm serve` launcher, the conformance tests and the benchmarks, so all start servers the same way.

import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_APP, type RuntimeName } from "./args.ts";
import { resolveAppPath } from "./load-app.ts";

/** Where each pinned runtime's npm package keeps its real binary (not the node_modules/.bin shim). */
const BINARIES = { bun: "bun/bin/bun.exe", deno: "deno/deno" } as const;

/**
 * The pinned runtime's own executable, else the one on PATH. Never the node_modules/.bin shim: the npm
 * packages' shims run the binary as a child of a Node process that does not forward signals, so SIGTERM
 * would kill the shim and orphan the server.
 */
export function pinned(name: keyof typeof BINARIES): string {
  const local = fileURLToPath(new URL(`../../../node_modules/${BINARIES[name]}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/**
 * The command that starts `runtime` on its entry module, in that runtime's own process.
 * With `reload`, the runtime's own watcher restarts it when a module it loaded changes; the blocking
 * baseline loads the app in worker threads, which Node's watcher does not follow, so it watches the
 * app's directory and the packages instead.
 */
export function runtimeCommand(runtime: RuntimeName, reload = false, app = DEFAULT_APP): { command: string; args: string[] } {
  // The entry gets `--runtime` too, so runtime-specific flags (--threads) are accepted however it was started.
  const entry = (name: string) => [fileURLToPath(new URL(`./entries/${name}.ts`, import.meta.url)), "--runtime", name];
  const watch = reload ? ["--watch"] : [];
  switch (runtime) {
    case "node":
      return { command: process.execPath, args: [...watch, ...entry("node")] };
    case "bun":
      return { command: pinned("bun"), args: [...watch, ...entry("bun")] };
    case "deno":
      return { command: pinned("deno"), args: ["run", ...watch, "--allow-all", "--unstable-no-legacy-abort", ...entry("deno")] };
    case "blocking": {
      const paths = reload
        ? [dirname(resolveAppPath(app)), fileURLToPath(new URL("../../", import.meta.url))].map((p) => `--watch-path=${p}`)
        : [];
      return { command: process.execPath, args: [...paths, ...entry("blocking")] };
    }
  }
}

