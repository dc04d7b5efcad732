// Gives @asyncview/core what Bun provides (node:async_hooks is built in): AsyncLocalStorage (ContextVar, request ids) and environment variables.
// Imported for its effect by this package's index, so importing the adapter is enough.

import { AsyncLocalStorage } from "node:async_hooks";
import { installRuntime } from "@asyncview/core";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name] });
