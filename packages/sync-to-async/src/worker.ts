// A pool thread: imports modules on demand and calls the named export with the arguments it was sent, one call
// at a time; blocking is what this thread is for. Results and errors (name, message, stack) are posted back.

import { AsyncLocalStorage } from "node:async_hooks";
import { parentPort } from "node:worker_threads";
import { runWithValues } from "@asyncview/core";
import { installRuntime } from "@asyncview/core/adapter";
import { uncopyableResult } from "./copy.ts";
import { callExport } from "./load.ts";
import type { CallMessage, ResultMessage } from "./protocol.ts";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], blockingAllowed: true });
const port = parentPort!;

port.on("message", async (call: CallMessage) => {
  let reply: ResultMessage;
  try {
    const run = () => callExport(call.module, call.exportName, call.args);
    const value = await (call.context ? runWithValues(call.context, run) : run());
    reply = { id: call.id, ok: true, value };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id: call.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    // The value could not be copied (a function, a class's methods, a connection): say what it was.
    const { name, message } = uncopyableResult(call.module, call.exportName, reply.ok ? reply.value : undefined, error);
    port.postMessage({ id: call.id, ok: false, error: { name, message, stack: undefined } } satisfies ResultMessage);
  }
});
