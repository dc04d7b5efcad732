// The default logger: one JSON object per line, errors serialised with name, message and stack.
// Any object with info/warn/error can replace it (AppOptions.logger).

import type { Logger } from "./types.ts";

function serialise(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

function line(level: string, message: string, fields?: Record<string, unknown>): string {
  return JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...serialise(fields) });
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(line("info", message, fields)),
  warn: (message, fields) => console.error(line("warn", message, fields)),
  error: (message, fields) => console.error(line("error", message, fields)),
};

/** A logger that discards everything (for tests and benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
