// Test helpers: a logger that records what it was told, and a request builder on a fixed origin.

import type { Logger } from "../src/types.ts";

export interface Recorded {
  level: "info" | "warn" | "error";
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): Logger & { records: Recorded[] } {
  const records: Recorded[] = [];
  return {
    records,
    info: (message, fields) => records.push({ level: "info", message, fields }),
    warn: (message, fields) => records.push({ level: "warn", message, fields }),
    error: (message, fields) => records.push({ level: "error", message, fields }),
  };
}

export function req(path: string, init?: RequestInit): Request {
  return new Request(`http://test.local${path}`, init);
}
