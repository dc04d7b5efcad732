// Runs the conformance suite against @asyncview/bun: a real `bun` process (the pinned binary)
// started through the serve CLI's bun entry, exactly as `pnpm serve --runtime bun` does.

import { defineConformanceSuite } from "../src/index.ts";
import { bun } from "./adapters.ts";

defineConformanceSuite(bun);
