// The process entry for `--runtime node`: serves the app on @asyncview/node inside this Node process.
// Started by the launcher (serve.ts) as `node entries/node.ts [args]`.

import { serve } from "@asyncview/node";
import { runEntry, withLoadedApp } from "../run.ts";

try {
  await runEntry(withLoadedApp(serve));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
