// The conformance suite on Deno in its default mode, where Deno's own request.signal also aborts after every
// successful response ("legacy abort"). `pnpm serve` opts out with --unstable-no-legacy-abort; code that calls
// @asyncview/deno's serve() under plain `deno run` must behave the same, and this run proves it does.

import { fileURLToPath } from "node:url";
import { pinned } from "@asyncview/cli/runtime-command";
import { defineConformanceSuite, startServerProcess } from "../src/index.ts";
import { CONFORMANCE_APP } from "./adapters.ts";

const entry = fileURLToPath(new URL("../../cli/src/entries/deno.ts", import.meta.url));

defineConformanceSuite({
  name: "deno",
  label: "deno (default legacy request.signal)",
  start: () =>
    startServerProcess({ command: pinned("deno"), args: ["run", "--allow-all", entry, "--port", "0", CONFORMANCE_APP] }),
});
