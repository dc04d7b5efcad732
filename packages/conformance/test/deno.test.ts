// Runs the conformance suite against @asyncview/deno: a real `deno` process (the pinned binary)
// started through the serve CLI's deno entry, exactly as `pnpm serve --runtime deno` does.

import { defineConformanceSuite } from "../src/index.ts";
import { deno } from "./adapters.ts";

defineConformanceSuite(deno);
