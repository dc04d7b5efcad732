// Runs the conformance suite against @asyncview/blocking: a real Node process with an Express front and a pool of worker threads
// started through the serve CLI's blocking entry, exactly as `pnpm serve --runtime blocking` does.

import { defineConformanceSuite } from "../src/index.ts";
import { blocking } from "./adapters.ts";

defineConformanceSuite(blocking);
