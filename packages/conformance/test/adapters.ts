// How to start a server of the conformance app on each adapter, as a real process of its runtime,
// with exactly the command `pnpm serve --runtime <name>` uses. Shared by the conformance and differential tests.

import { fileURLToPath } from "node:url";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import type { AdapterUnderTest, ServerProcess } from "../src/index.ts";
import { startServerProcess } from "../src/index.ts";
import type { RuntimeName } from "@asyncview/cli/args";

export const CONFORMANCE_APP = fileURLToPath(new URL("../src/app.ts", import.meta.url));
/** The fault-injection app (src/faults.ts), served the same way by test/faults.test.ts. */
export const FAULTS_APP = fileURLToPath(new URL("../src/faults.ts", import.meta.url));

/**
 * A real server process of `app` on the `name` adapter, on a free port. Without the access log (the CLI's default
 * is on) unless `accessLog`: the suites find the app's own log lines by a marker in the URL, which an access-log
 * line would repeat.
 */
export function serveApp(name: RuntimeName, app: string, extra: string[] = [], { accessLog = false } = {}): Promise<ServerProcess> {
  const { command, args } = runtimeCommand(name);
  return startServerProcess({ command, args: [...args, "--port", "0", ...(accessLog ? [] : ["--no-access-log"]), ...extra, app] });
}

function adapter(name: RuntimeName, extra: string[] = [], skips: AdapterUnderTest["skips"] = {}): AdapterUnderTest {
  return { name, skips, start: () => serveApp(name, CONFORMANCE_APP, extra) };
}

export const node = adapter("node");
export const bun = adapter("bun");
export const deno = adapter("deno");
export const blocking = adapter("blocking");
