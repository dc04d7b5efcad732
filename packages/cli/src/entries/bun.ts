// The process entry for `--runtime bun`: serves the app on @asyncview/bun inside this Bun process.
// Started by the launcher (serve.ts) as `bun entries/bun.ts [args]`.

import { serve } from "@asyncview/bun";
import { runEntry, withLoadedApp } from "../run.ts";

await runEntry(withLoadedApp(serve));
