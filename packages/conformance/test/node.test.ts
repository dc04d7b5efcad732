// Runs the conformance suite against @asyncview/node: a real `node` process (the pinned Node 24)
// started through the serve CLI's node entry, exactly as `pnpm serve --runtime node` does.

import { fileURLToPath } from "node:url";
import { defineConformanceSuite, startServerProcess } from "../src/index.ts";

const entry = fileURLToPath(new URL("../../cli/src/entries/node.ts", import.meta.url));
const app = fileURLToPath(new URL("../src/app.ts", import.meta.url));

defineConformanceSuite({
  name: "node",
  start: () => startServerProcess({ command: process.execPath, args: [entry, "--port", "0", app] }),
});
