// The process entry for `--runtime bun`: serves the app on @asyncview/bun inside this Bun process.
// Started by the launcher (serve.ts) as `bun entries/bun.ts [args]`.

import { serve } from "@asyncview/bun";
import { runEntry, withLoadedApp } from "../run.ts";

try {
  await runEntry(withLoadedApp(serve));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
