// @asyncview/bun: serve an asyncview App on Bun.serve. Native Request/Response pass straight through.
// Usage: `const server = await serve(app, { port: 8000 }); ... await server.close();`

export { DEFAULT_MAX_BODY_SIZE, serve, type BunServeOptions } from "./serve.ts";
