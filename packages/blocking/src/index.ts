// @asyncview/blocking: the WSGI model as a baseline. An Express front, a fixed pool of threads, one request or socket each.
// Usage: `const server = await serve(new URL("./app.ts", import.meta.url), { threads: 8 });`

export { serve } from "./serve.ts";
export {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_QUEUE_SIZE,
  defaultThreads,
  type BlockingServeOptions,
  type BlockingServer,
} from "./options.ts";
