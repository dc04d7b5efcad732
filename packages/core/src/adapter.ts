// @asyncview/core/adapter: what runtime adapters (not apps) need: the shared server lifecycle, runtime services,
// the hooks that let an adapter write a helper response or read a body directly, and the router.

export { DEFAULT_BODY_LIMIT, READ_BODY } from "./body.ts";
export { delegateToNative, type Materializable } from "./facade.ts";
export { ABORT_GRACE_MS, listenError, serverHandle, type LifecycleOptions, type Listener } from "./lifecycle.ts";
export { loadAppModule } from "./load-app.ts";
export { BODY_TEXT, HEADER_PAIRS, hasHeader, headerPairs, toFetchResponse } from "./responses.ts";
export { parsePattern, Router, type RouteMatch } from "./router.ts";
export { installRuntime, runtimeServices, type AsyncStorage, type RuntimeServices } from "./runtime.ts";
export { DEFAULT_HOSTNAME, DEFAULT_PORT, DEFAULT_SHUTDOWN_TIMEOUT, formatUrl } from "./server.ts";
export { TaskTracker } from "./tasks.ts";
export type { ServeInfo } from "./types.ts";
export { logResponseFailure, nativeResponse, type Reporter } from "./native-response.ts";
export { missingHost } from "./host.ts";
