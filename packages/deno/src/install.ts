// Gives @asyncview/core what Deno provides: AsyncLocalStorage from node:async_hooks, and Deno.env.
// Imported for its effect by this package's index, so importing the adapter is enough.

import { AsyncLocalStorage } from "node:async_hooks";
import { installRuntime } from "@asyncview/core";

installRuntime({ AsyncLocalStorage, env: (name) => Deno.env.get(name) });
