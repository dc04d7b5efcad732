// The default logger: one JSON object per line, errors serialised with name, message and stack.
// Any object with info/warn/error can replace it (AppOptions.logger).

import { requestId } from "./context-var.ts";
import { env, runtimeServices, WORKER_ENV } from "./runtime.ts";
import type { Logger } from "./types.ts";

/** In a worker process (`serve(app, { workers })`), its index; read once the runtime's env reader is installed. */
let worker: number | null | undefined;
function workerIndex(): number | null | undefined {
  if (worker === undefined && runtimeServices().env !== undefined) {
    const index = env(WORKER_ENV);
    worker = index === undefined ? null : Number(index);
  }
  return worker;
}

function serialise(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

/** One JSON line; inside a request it carries the request id (see `requestId()`), in a worker process its index. */
function line(level: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString();
  const id = requestId();
  const head = id === undefined ? { level, time, msg: message } : { level, time, requestId: id, msg: message };
  const index = workerIndex();
  return JSON.stringify(index == null ? { ...head, ...serialise(fields) } : { ...head, worker: index, ...serialise(fields) });
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(line("info", message, fields)),
  warn: (message, fields) => console.error(line("warn", message, fields)),
  error: (message, fields) => console.error(line("error", message, fields)),
};

/** A logger that discards everything (for tests and benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
