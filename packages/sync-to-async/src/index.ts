// @asyncview/sync-to-async: asgiref's sync_to_async on worker threads, for Node, Bun and Deno alike.
// `const getUser = syncToAsync(new URL("./db.ts", import.meta.url), "getUser"); await getUser(1);`

export { defaultPools, syncToAsync, THREAD_SENSITIVE_THREADS, type AsyncFunction, type CallOptions, type SyncToAsyncOptions } from "./sync-to-async.ts";
export { DEFAULT_QUEUE_SIZE, ThreadPool, type CancelMode, type RunOptions, type ThreadPoolOptions } from "./pool.ts";
