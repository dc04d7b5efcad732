// The command that starts each runtime on its CLI entry, in that runtime's own process.
// Shared by the `asyncview serve` launcher, the conformance tests and the benchmarks, so all start servers the same way.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
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
 * V8's young generation is capped at 4 MiB per semi-space (V8's default lets it grow to 16 MiB under load). A server
 * keeps a few KB per request alive across collections, and V8 grows the young generation on that survival: on
 * Deno, `/hello` at 64 connections peaked at 111-139 MiB with the default and 64-88 MiB with the cap, POST `/echo`
 * at 161 and 112 MiB, at the same CPU per request (within run-to-run noise); on Node 120 and 112 MiB. Bare
 * Deno.serve and node:http are unchanged by it (their young generation never grows); the benchmark gives every
 * Node and Deno target the same flag. Bun's engine is not V8.
 */
export const YOUNG_GENERATION = "--max-semi-space-size=4";

/**
 * The environment that turns on Node's module compile cache (`NODE_COMPILE_CACHE`) in Node's default folder,
 * `<tmpdir>/node-compile-cache`, unless the user set `NODE_COMPILE_CACHE` or `NODE_DISABLE_COMPILE_CACHE`. Node
 * strips a `.ts` module's types with a WebAssembly build of swc that it loads on the first `.ts` module and keeps:
 * about 17 MiB of memory for the server's whole life, more the more TypeScript it strips (a `/hello` app served from
 * asyncview's sources idled at 104 MiB, at 73 MiB with the cache warm, as when served from compiled JavaScript).
 * With the cache, a later start of the same files loads their compiled form and never loads the stripper. Bun and
 * Deno compile TypeScript natively (Deno caches it itself): empty for them.
 */
export function compileCacheEnv(runtime: RuntimeName, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (runtime !== "node" && runtime !== "blocking") return {};
  if (env.NODE_COMPILE_CACHE !== undefined || env.NODE_DISABLE_COMPILE_CACHE !== undefined) return {};
  return { NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache") };
}

/**
 * The command that starts `runtime` on its entry module, in that runtime's own process; the caller appends the
 * serve arguments (the app module among them). `--reload` is the launcher's own (reload.ts), never the runtime's.
 * `flags` are the runtime's own flags (the start of `args`), which a --workers supervisor gives its workers; `env` is
 * what to add to the process's environment (Node's compile cache, which workers inherit).
 */
export function runtimeCommand(runtime: RuntimeName): { command: string; args: string[]; flags: string[]; env: Record<string, string> } {
  // The entry gets `--runtime` too, so runtime-specific flags (--threads) are accepted however it was started.
  const entry = (name: string, flags: string[] = []) => ({
    flags,
    args: [...flags, fileURLToPath(new URL(`./entries/${name}${EXT}`, import.meta.url)), "--runtime", name],
    env: compileCacheEnv(runtime),
  });
  switch (runtime) {
    case "node":
      return { command: process.execPath, ...entry("node", [YOUNG_GENERATION]) };
    case "bun":
      return { command: pinned("bun"), ...entry("bun") };
    case "deno":
      // --unstable-net: Deno.serve's reusePort, which --workers uses.
      return {
        command: pinned("deno"),
        ...entry("deno", ["run", "--allow-all", "--unstable-no-legacy-abort", "--unstable-net", `--v8-flags=${YOUNG_GENERATION}`]),
      };
    case "blocking":
      return { command: process.execPath, ...entry("blocking", [YOUNG_GENERATION]) };
  }
}
