// Runs the conformance suite against @asyncview/node: a real `node` process (the pinned Node 24)
// started through the serve CLI's node entry, exactly as `pnpm serve --runtime node` does.

import { defineConformanceSuite } from "../src/index.ts";
import { node } from "./adapters.ts";

defineConformanceSuite(node);
