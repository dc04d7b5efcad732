// The process entry for `--runtime deno`: serves the app on @asyncview/deno inside this Deno process.
// Started by the launcher (serve.ts) as `deno run --allow-all entries/deno.ts [args]`.

import { serve } from "@asyncview/deno";
import { runEntry, withLoadedApp } from "../run.ts";

await runEntry(withLoadedApp(serve));
