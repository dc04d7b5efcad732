// The app the hostile battery serves: the demo views (apps/demo) unchanged, plus GET /hostile/big?mib=N, a response
// of N MiB (at most 64) that a client can refuse to read.

import { app } from "@asyncview/demo";

const MIB = 1024 * 1024;
const bodies = new Map<number, Uint8Array<ArrayBuffer>>();

app.get("/hostile/big", (_request, ctx) => {
  const mib = Math.min(64, Math.max(1, Number(ctx.query.get("mib") ?? "32") || 32));
  let body = bodies.get(mib);
  if (!body) bodies.set(mib, (body = new Uint8Array(mib * MIB).fill(0x61)));
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
});

export default app;
