// The conformance suite on Deno in its default mode, where Deno's own request.signal also aborts after every
// successful response ("legacy abort"). `pnpm serve` opts out with --unstable-no-legacy-abort; code that calls
// @asyncview/deno's serve() under plain `deno run` must behave the same, and this run proves it does.

import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { defineConformanceSuite, startServerProcess } from "../src/index.ts";
import { CONFORMANCE_APP } from "./adapters.ts";

// Exactly `pnpm serve --runtime deno`'s command, without its opt-out of the legacy abort.
const { command, args } = runtimeCommand("deno");
const plain = args.filter((arg) => arg !== "--unstable-no-legacy-abort");

defineConformanceSuite({
  name: "deno",
  label: "deno (default legacy request.signal)",
  start: () => startServerProcess({ command, args: [...plain, "--port", "0", "--no-access-log", CONFORMANCE_APP] }),
});
