// `pnpm serve`: validates the arguments, then starts the chosen runtime's own process on its entry,
// forwarding SIGINT/SIGTERM to it and exiting with its exit code.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { DEFAULT_APP, HELP, parseServeArgs, type RuntimeName, UsageError } from "./args.ts";
import { resolveAppPath } from "./load-app.ts";

/** A pinned runtime binary from the repository's node_modules/.bin, else from PATH. */
function pinned(name: string): string {
  const local = fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/**
 * The command that starts `runtime` on its entry module, in that runtime's own process.
 * With `reload`, the runtime's own watcher restarts it when a module it loaded changes; the blocking
 * baseline loads the app in worker threads, which Node's watcher does not follow, so it watches the
 * app's directory and the packages instead.
 */
export function runtimeCommand(runtime: RuntimeName, reload = false, app = DEFAULT_APP): { command: string; args: string[] } {
  const entry = (name: string) => fileURLToPath(new URL(`./entries/${name}.ts`, import.meta.url));
  const watch = reload ? ["--watch"] : [];
  switch (runtime) {
    case "node":
      return { command: process.execPath, args: [...watch, entry("node")] };
    case "bun":
      return { command: pinned("bun"), args: [...watch, entry("bun")] };
    case "deno":
      return { command: pinned("deno"), args: ["run", ...watch, "--allow-all", entry("deno")] };
    case "blocking": {
      const paths = reload
        ? [dirname(resolveAppPath(app)), fileURLToPath(new URL("../../", import.meta.url))].map((p) => `--watch-path=${p}`)
        : [];
      return { command: process.execPath, args: [...paths, entry("blocking")] };
    }
  }
}

const argv = process.argv.slice(2);
try {
  const args = parseServeArgs(argv);
  if (args.help) {
    console.log(HELP);
    process.exit(0);
  }
  const { command, args: prefix } = runtimeCommand(args.runtime, args.reload, args.app);
  const child = spawn(command, [...prefix, ...argv], { stdio: "inherit" });
  if (args.reload) console.error(`reload: watching for changes (${args.runtime})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    console.error(`error: cannot start ${args.runtime}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`error: ${error.message}\n\n${HELP}`);
  process.exit(2);
}
