// @asyncview/core: the runtime-neutral async view interface on Web-standard Request/Response.
// Everything exported here runs unchanged on Node, Bun, Deno and the blocking baseline.

export { App, type AppOptions, type ShutdownOptions } from "./app.ts";
export { readBytes, readJson, readText, DEFAULT_BODY_LIMIT, DEFAULT_JSON_MAX_DEPTH, type BodyOptions } from "./body.ts";
export { memoryChannelLayer, type ChannelLayer, type SocketMessage } from "./channel-layer.ts";
export { compose, type Recover } from "./compose.ts";
export { errorResponse, HttpError, type HttpErrorOptions } from "./errors.ts";
export {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_SEND_BUFFER_LIMIT,
  DEFAULT_SEND_HIGH_WATER_MARK,
  SocketClosedError,
  type Socket,
  type SocketClose,
} from "./socket.ts";
export type { SocketHandler, SocketOptions } from "./socket-route.ts";
export { consoleLogger, silentLogger } from "./logger.ts";
export { html, json, redirect, text, type ResponseOptions } from "./responses.ts";
export { formatSse, ndjson, sse, stream, toReadableStream, type Chunk, type Source, type SseEvent, type StreamOptions } from "./stream.ts";
export {
  DEFAULT_BACKLOG,
  DEFAULT_FORWARDED_ALLOW_IPS,
  DEFAULT_HEADERS_TIMEOUT,
  DEFAULT_KEEP_ALIVE_TIMEOUT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_WRITE_TIMEOUT,
  type AccessLogFormat,
  type CloseOptions,
  type ServeOptions,
  type Server,
} from "./server.ts";
export type { Client, Context, Logger, Middleware, Params, ParamsOf, Runtime, ServeInfo, View } from "./types.ts";
export { intParam, type IntParamOptions } from "./query.ts";
export { sleep, type SleepOptions } from "./sleep.ts";
export { gather, type GatherOptions } from "./gather.ts";
export { TaskGroup, TaskGroupClosedError, isAbortError, type TaskGroupOptions } from "./task-group.ts";
export { timeout, type Task, type TimeoutOptions } from "./timeout.ts";
export { linkSignals, type LinkedSignal } from "./signals.ts";
export { ContextVar, contextSnapshot, contextSupported, needRequestScope, requestId, requestKey, runOutsideRequests, runWithValues } from "./context-var.ts";
export { env } from "./runtime.ts";
export { defaultChannelLayer, setDefaultChannelLayer } from "./default-channel-layer.ts";
export { BlockingDetector, DEFAULT_BLOCKING_THRESHOLD_MS, type BlockingDetectorOptions, type BlockingStats } from "./blocking-detector.ts";
export { ALLOW_ASYNC_UNSAFE, asyncUnsafe, blockingAllowed, SynchronousOnlyError } from "./async-unsafe.ts";
