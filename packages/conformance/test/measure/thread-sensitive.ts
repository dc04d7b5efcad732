// Measures what issue 9 asked: 4 concurrent requests whose view makes one 200 ms thread-sensitive syncToAsync call,
// over HTTP on @asyncview/node. Run: node_modules/.bin/node packages/conformance/test/measure/thread-sensitive.ts

import { App, json } from "@asyncview/core";
import { serve } from "@asyncview/node";
import { syncToAsync } from "@asyncview/sync-to-async";

const sleep = syncToAsync<[number], { threadId: number }>(new URL("../runtime/fixtures/blocking-work.ts", import.meta.url), "blockingSleep");
const app = new App().get("/sleep", async () => json(await sleep(200)));
const server = await serve(app, { port: 0 });

async function concurrently(n: number): Promise<{ ms: number; threads: number }> {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: n }, async () => (await (await fetch(`${server.url}/sleep`)).json()) as { threadId: number }),
  );
  return { ms: Math.round(performance.now() - started), threads: new Set(answers.map((a) => a.threadId)).size };
}

await concurrently(4); // warm-up: threads started and the module loaded in each
for (const n of [1, 4]) {
  const runs = [await concurrently(n), await concurrently(n), await concurrently(n)];
  const median = runs.map((r) => r.ms).sort((a, b) => a - b)[1];
  console.log(`${n} concurrent x 200 ms: median ${median} ms of ${runs.map((r) => r.ms).join(", ")}; threads used: ${runs[1]!.threads}`);
}
await server.close();
