// The process entry for `--runtime node`: serves the app on @asyncview/node inside this Node process.
// Started by the launcher (serve.ts) as `node entries/node.ts [args]`.

import { serve } from "@asyncview/node";
import { runEntry, withLoadedApp } from "../run.ts";

await runEntry(withLoadedApp(serve));
