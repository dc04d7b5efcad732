// The access log (ServeOptions.accessLog): one line per request, text for a terminal or one JSON object per line.
// Lines go to stdout through a sink (batched: one write per burst), never through app.logger, which is for app events.

import type { AccessLogFormat } from "./server.ts";
import { runtimeServices } from "./runtime.ts";

/** Where finished access-log lines go (each ends with "\n"). Injectable for tests; the default writes to stdout. */
export type AccessLogSink = (line: string) => void;

/** One finished request, as the access log records it. */
export interface AccessRecord {
  /** `address:port` of the client (after trusted proxy headers), or "-" when unknown. */
  client: string;
  method: string;
  /** Path with its query string, as received. */
  path: string;
  /** "1.1" or "1.0" where the runtime says; the fetch-native runtimes serve HTTP/1.1 here. */
  httpVersion: string;
  status: number;
  /** Response body bytes, when known (a declared or helper length); undefined for a streamed body. */
  bytes: number | undefined;
  durationMs: number;
  requestId: string;
}

/** ISO time to the second, rebuilt once a second rather than once a request. */
let cachedSecond = -1;
let cachedTime = "";
export function isoSecond(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTime = new Date(second * 1000).toISOString().slice(0, 19) + "Z";
  }
  return cachedTime;
}

/** Characters that could forge or break a log line; the path is escaped only when one occurs. */
const UNSAFE = /[\x00-\x1f\x7f"\\]/;

/** Milliseconds with one decimal below 10 ms ("0.4"), whole above ("12"). */
const duration = (ms: number): number => (ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms));

/** `TIME CLIENT - "METHOD PATH HTTP/1.1" STATUS BYTESB DURATIONms rid=ID` */
export function textLine(record: AccessRecord): string {
  const path = UNSAFE.test(record.path) ? JSON.stringify(record.path).slice(1, -1) : record.path;
  const bytes = record.bytes === undefined ? "-" : `${record.bytes}B`;
  return `${isoSecond()} ${record.client} - "${record.method} ${path} HTTP/${record.httpVersion}" ${record.status} ${bytes} ${duration(record.durationMs)}ms rid=${record.requestId}\n`;
}

/** `{"time":..,"client":..,"method":..,"path":..,"status":..,"bytes":..,"durationMs":..,"requestId":..}` */
export function jsonLine(record: AccessRecord): string {
  // Built by hand (a JSON.stringify of the whole object costs several times more): every field but the path is a
  // number or a token the pipeline produced (an IP:port, an HTTP method and version, a safe request id).
  const path = UNSAFE.test(record.path) ? JSON.stringify(record.path) : `"${record.path}"`;
  const bytes = record.bytes === undefined ? "null" : record.bytes;
  const ms = Math.round(record.durationMs * 1000) / 1000;
  return `{"time":"${isoSecond()}","client":"${record.client}","method":"${record.method}","path":${path},"httpVersion":"${record.httpVersion}","status":${record.status},"bytes":${bytes},"durationMs":${ms},"requestId":"${record.requestId}"}\n`;
}

export function accessLogFormatter(format: AccessLogFormat): (record: AccessRecord) => string {
  if (format === "text") return textLine;
  if (format === "json") return jsonLine;
  throw new RangeError(`accessLog must be "text", "json" or false, got ${JSON.stringify(format)}`);
}

/** Lines waiting to be written, flushed together within 10 ms (or at once past 64 KiB). */
let pending = "";
let scheduled = false;
const FLUSH_AT = 64 * 1024;
/** How long a line may wait for others to share its write, in ms. */
const FLUSH_EVERY_MS = 10;

function flush(): void {
  scheduled = false;
  const text = pending;
  pending = "";
  if (text === "") return;
  const write = runtimeServices().stdout;
  if (write) write(text);
  else console.log(text.slice(0, -1));
}

/** The default sink: stdout through the runtime's writer (installRuntime's `stdout`), batched for up to 10 ms. */
export const stdoutSink: AccessLogSink = (line) => {
  pending += line;
  if (pending.length >= FLUSH_AT) flush();
  else if (!scheduled) {
    scheduled = true;
    setTimeout(flush, FLUSH_EVERY_MS);
  }
};

/** Writes what is still batched now (before the process exits). */
export function flushAccessLog(): void {
  flush();
}
