#!/usr/bin/env node
// The `asyncview` command an installed @asyncview/cli provides: `asyncview serve [options] <app module>`
// starts an app on a runtime adapter, uvicorn-style (`asyncview serve --help`).

import { HELP } from "./args.ts";
import { launch } from "./launch.ts";

const USAGE = `Usage: asyncview <command> [options]

Commands:
  serve    start an app on a runtime adapter (node, bun, deno, blocking)

asyncview serve --help:

${HELP}`;

const [command, ...rest] = process.argv.slice(2);
if (command === "serve") {
  launch(rest);
} else if (command === "-h" || command === "--help" || command === "help") {
  console.log(USAGE);
} else {
  console.error(`${command === undefined ? "error: missing the command" : `error: unknown command ${JSON.stringify(command)}`}\n\n${USAGE}`);
  process.exit(2);
}
