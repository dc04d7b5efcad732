// @asyncview/node: serve an asyncview App on node:http.
// Usage: `const server = await serve(app, { port: 8000 }); ... await server.close();`

export { serve } from "./serve.ts";
export { NodeRequest, type SignalSource } from "./request.ts";
