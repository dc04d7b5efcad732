// The process entry for `--runtime blocking`: an Express front in this Node process and a pool of worker
// threads that each import the app module by its path (the WSGI model). Started by the launcher (serve.ts).

import { pathToFileURL } from "node:url";
import { serve } from "@asyncview/blocking";
import { resolveAppPath } from "../load-app.ts";
import { serveOptions } from "../args.ts";
import { runEntry } from "../run.ts";

await runEntry((args) => serve(pathToFileURL(resolveAppPath(args.app)), { ...serveOptions(args), threads: args.threads }));
