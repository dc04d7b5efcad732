// `pnpm serve`: validates the arguments, then starts the chosen runtime's own process on its entry,
// forwarding SIGINT/SIGTERM to it and exiting with its exit code.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HELP, parseServeArgs, type RuntimeName, UsageError } from "./args.ts";

/** A pinned runtime binary from the repository's node_modules/.bin, else from PATH. */
function pinned(name: string): string {
  const local = fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/** The command that starts `runtime` on its entry module, in that runtime's own process. */
export function runtimeCommand(runtime: RuntimeName): { command: string; args: string[] } {
  const entry = (name: string) => fileURLToPath(new URL(`./entries/${name}.ts`, import.meta.url));
  switch (runtime) {
    case "node":
      return { command: process.execPath, args: [entry("node")] };
    case "bun":
      return { command: pinned("bun"), args: [entry("bun")] };
    case "deno":
      return { command: pinned("deno"), args: ["run", "--allow-all", entry("deno")] };
    case "blocking":
      return { command: process.execPath, args: [entry("blocking")] };
  }
}

const argv = process.argv.slice(2);
try {
  const args = parseServeArgs(argv);
  if (args.help) {
    console.log(HELP);
    process.exit(0);
  }
  const { command, args: prefix } = runtimeCommand(args.runtime);
  const child = spawn(command, [...prefix, ...argv], { stdio: "inherit" });
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
