// @asyncview/deno: serve an asyncview App on Deno.serve. Native Request/Response pass straight through.
// Usage: `const server = await serve(app, { port: 8000 }); ... await server.close();`

export { serve } from "./serve.ts";
