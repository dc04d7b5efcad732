// The command that starts each runtime on its CLI entry, in that runtime's own process.
// Shared by the `asyncview serve` launcher, the conformance tests and the benchmarks, so all start servers the same way.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RuntimeName } from "./args.ts";

/** Where each runtime's npm package keeps its real binary (not the node_modules/.bin shim). */
const BINARIES = { bun: "bin/bun.exe", deno: "deno" } as const;
/** The entries' extension: `.ts` when running from source (the workspace), `.js` from the published dist/. */
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * The runtime's own executable from its npm package ("bun" or "deno") as installed in the user's project
 * (where the command runs), else as seen from this package, else the one on PATH. Never the node_modules/.bin
 * shim: the npm packages' shims run the binary as a child of a Node process that does not forward signals,
 * so SIGTERM would kill the shim and orphan the server.
 */
export function pinned(name: keyof typeof BINARIES): string {
  const project = join(process.env.INIT_CWD ?? process.cwd(), "package.json");
  for (const from of [project, fileURLToPath(import.meta.url)]) {
    let manifest: string;
    try {
      manifest = createRequire(from).resolve(`${name}/package.json`);
    } catch {
      continue; // not installed there
    }
    const binary = join(dirname(manifest), BINARIES[name]);
    if (existsSync(binary)) return binary;
  }
  return name;
}

/**
 * The command that starts `runtime` on its entry module, in that runtime's own process; the caller appends the
 * serve arguments (the app module among them). `--reload` is the launcher's own (reload.ts), never the runtime's.
 * `flags` are the runtime's own flags (the start of `args`), which a --workers supervisor gives its workers.
 */
export function runtimeCommand(runtime: RuntimeName): { command: string; args: string[]; flags: string[] } {
  // The entry gets `--runtime` too, so runtime-specific flags (--threads) are accepted however it was started.
  const entry = (name: string, flags: string[] = []) => ({
    flags,
    args: [...flags, fileURLToPath(new URL(`./entries/${name}${EXT}`, import.meta.url)), "--runtime", name],
  });
  switch (runtime) {
    case "node":
      return { command: process.execPath, ...entry("node") };
    case "bun":
      return { command: pinned("bun"), ...entry("bun") };
    case "deno":
      // --unstable-net: Deno.serve's reusePort, which --workers uses.
      return { command: pinned("deno"), ...entry("deno", ["run", "--allow-all", "--unstable-no-legacy-abort", "--unstable-net"]) };
    case "blocking":
      return { command: process.execPath, ...entry("blocking") };
  }
}
