// @asyncview/core/adapter: what runtime adapters (not apps) need: the shared server lifecycle, the Fetch-native
// relay, runtime services, and the hooks that let an adapter write a helper response or read a body directly.

export { READ_BODY } from "./body.ts";
export { checkClose, messageSize, ServerSocket, type SocketTransport } from "./socket.ts";
export { largestMessageSize, SocketRegistry, upgradeOf, wantsWebSocket, type Upgrade } from "./socket-route.ts";
export { delegateToNative, type Materializable } from "./facade.ts";
export { ABORT_GRACE_MS, listenError, serverHandle, type LifecycleOptions, type Listener } from "./lifecycle.ts";
export { loadAppModule } from "./load-app.ts";
export { BODY_TEXT, hasHeader, headerPairs, toFetchResponse, withBody } from "./responses.ts";
export { ChunkEncoder, type ChunkSource, chunkBytes, nextChunk, type ReadStep, readerChunks, takeChunks } from "./stream.ts";
export { installRuntime, type AsyncStorage, type RuntimeServices } from "./runtime.ts";
export { DEFAULT_HOSTNAME, DEFAULT_PORT } from "./server.ts";
export type { Responder, ServeInfo } from "./types.ts";
export { type ChunkSink, type DirectBody, GONE, logResponseFailure, nativeResponse, type Reporter, type StreamPacing, untilGone } from "./native-response.ts";
export { badHost, isUrlHost, isUrlHostAt, missingHost } from "./host.ts";
export { Admission, RETRY_AFTER_SECONDS, shuttingDown } from "./admission.ts";
export { flushAccessLog, stdoutSink, type AccessLogSink, type AccessRecord } from "./access-log.ts";
export { PipelineExchange, RequestPipeline, type Handler, type PipelineOptions } from "./pipeline.ts";
export type { HeaderReader } from "./proxy.ts";
export { globalEventHooks, guardUnhandled, processHooks, type GlobalEvents, type ProcessEvents, type UnhandledHook, type UnhandledKind } from "./unhandled.ts";
export { acceptErrorReporter, ACCEPT_BURST_QUIET_MS, outOfFiles } from "./accept-errors.ts";
export { connectionLimits, headersTimedOut, headersTooLarge, requestHeadSize, type ConnectionLimits } from "./limits.ts";
export {
  type ChildApi,
  isWorker,
  type ListenPlan,
  type ProcessApi,
  type ProcessHost,
  reportStartupFailure,
  RUNTIME_FLAGS_ENV,
  serveWorkers,
  type SpawnFn,
  supervises,
} from "./supervisor.ts";
export { errorMessage } from "./thrown.ts";
export { WORKER_ENV } from "./runtime.ts";
