// The `asyncview serve` launcher: validates the arguments, then starts the chosen runtime's own process on its
// entry, forwarding SIGINT/SIGTERM to it and exiting with its exit code; with --reload it supervises it (reload.ts).

import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { RUNTIME_FLAGS_ENV } from "@asyncview/core/adapter";
import { HELP, parseServeArgs, UsageError } from "./args.ts";
import { reloadDirs, superviseWithReload } from "./reload.ts";
import { runtimeCommand } from "./runtime-command.ts";

/** Runs `asyncview serve` with `argv` (the arguments after `serve`); exits the process when the server does. */
export function launch(argv: readonly string[]): void {
  try {
    const args = parseServeArgs(argv);
    if (args.help) {
      console.log(HELP);
      process.exit(0);
    }
    const dirs = args.reload ? reloadDirs(args.app, args.reloadDirs) : [];
    const missing = dirs.find((dir) => !statSync(dir, { throwIfNoEntry: false })?.isDirectory());
    if (missing !== undefined) throw new UsageError(`--reload: cannot watch ${missing}: no such folder`);
    const { command, args: prefix, flags, env: runtimeEnv } = runtimeCommand(args.runtime);
    // --reload means development: the app's debug defaults (blocking detector on) follow ASYNCVIEW_DEBUG. With
    // --workers the entry is the supervisor; it starts its workers with the same runtime flags (Deno cannot tell it)
    // and the same environment (Node's compile cache among it).
    const env = { ...(args.reload ? { ASYNCVIEW_DEBUG: "1" } : {}), ...runtimeEnv, ...process.env, [RUNTIME_FLAGS_ENV]: JSON.stringify(flags) };
    const start = () => {
      const child = spawn(command, [...prefix, ...argv], { stdio: "inherit", env });
      child.on("error", (error) => {
        console.error(`error: cannot start ${args.runtime} (${command}): ${error.message}`);
        process.exit(1);
      });
      return child;
    };
    if (args.reload) {
      superviseWithReload(start, dirs);
      return;
    }
    const child = start();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${HELP}`);
    process.exit(2);
  }
}
