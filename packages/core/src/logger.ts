// The default logger: one JSON object per line, errors serialised with name, message and stack.
// Any object with info/warn/error can replace it (AppOptions.logger).

import { requestId } from "./context-var.ts";
import type { Logger } from "./types.ts";

function serialise(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

/** One JSON line; inside a request it carries the request id (see `requestId()`). */
function line(level: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString();
  const id = requestId();
  const head = id === undefined ? { level, time, msg: message } : { level, time, requestId: id, msg: message };
  return JSON.stringify({ ...head, ...serialise(fields) });
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(line("info", message, fields)),
  warn: (message, fields) => console.error(line("warn", message, fields)),
  error: (message, fields) => console.error(line("error", message, fields)),
};

/** A logger that discards everything (for tests and benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
