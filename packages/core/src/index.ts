// @asyncview/core: the runtime-neutral async view interface on Web-standard Request/Response.
// Everything exported here runs unchanged on Node, Bun, Deno and the blocking baseline.

export { App, type AppOptions, type ShutdownOptions } from "./app.ts";
export { loadAppModule } from "./load-app.ts";
export { readBytes, readJson, readText, DEFAULT_BODY_LIMIT, READ_BODY, type BodyOptions } from "./body.ts";
export { compose } from "./compose.ts";
export { errorResponse, HttpError, type HttpErrorOptions } from "./errors.ts";
export { delegateToNative, type Materializable } from "./facade.ts";
export { consoleLogger, silentLogger } from "./logger.ts";
export { BODY_TEXT, HEADER_PAIRS, html, json, redirect, text, toFetchResponse, type ResponseOptions } from "./responses.ts";
export { parsePattern, Router, type RouteMatch } from "./router.ts";
export { formatSse, ndjson, sse, stream, toReadableStream, type Chunk, type Source, type SseEvent, type StreamOptions } from "./stream.ts";
export { TaskTracker } from "./tasks.ts";
export { DEFAULT_HOSTNAME, DEFAULT_PORT, DEFAULT_SHUTDOWN_TIMEOUT, formatUrl, type CloseOptions, type ServeOptions, type Server } from "./server.ts";
export type { Context, Logger, Middleware, Params, ParamsOf, Runtime, ServeInfo, View } from "./types.ts";
export { intParam, type IntParamOptions } from "./query.ts";
export { sleep, type SleepOptions } from "./sleep.ts";
export { gather, type GatherOptions } from "./gather.ts";
export { TaskGroup, TaskGroupClosedError, isAbortError, type TaskGroupOptions } from "./task-group.ts";
export { timeout, type Task, type TimeoutOptions } from "./timeout.ts";
export { linkSignals, type LinkedSignal } from "./signals.ts";
export { ContextVar, contextSnapshot, contextSupported, requestId, runWithValues } from "./context-var.ts";
export { env, installRuntime, runtimeServices, type AsyncStorage, type RuntimeServices } from "./runtime.ts";
export { BlockingDetector, DEFAULT_BLOCKING_THRESHOLD_MS, type BlockingDetectorOptions, type BlockingStats } from "./blocking-detector.ts";
export { ALLOW_ASYNC_UNSAFE, asyncUnsafe, blockingAllowed, SynchronousOnlyError } from "./async-unsafe.ts";
