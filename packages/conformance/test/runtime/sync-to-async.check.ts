// syncToAsync in this runtime (node, bun or deno, whichever runs this file): results, errors with their stack,
// thread sensitivity (per request), the queue limit, both cancellation modes, context, uncopyable arguments, idle threads ending.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { App, ContextVar, gather, HttpError, json } from "@asyncview/core";
import { defaultPools, syncToAsync, ThreadPool } from "@asyncview/sync-to-async";
import { assert, assertEqual, check, CheckFailure, delay, installAdapter, rejection, runChecks } from "../../src/checks.ts";

await installAdapter();
const WORK = new URL("./fixtures/blocking-work.ts", import.meta.url);
const req = (path: string) => new Request(`http://test.local${path}`);

/** `promise`, or a CheckFailure after `ms`: a wedged call fails its check instead of hanging the file. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A full garbage collection: Bun's own, else V8's gc exposed at run time (Node and Deno). */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return bun.gc(true);
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

check("returns the function's result", async () => {
  const add = syncToAsync<[number, number], number>(WORK, "add");
  assertEqual(await add(2, 3), 5);
});

check("brings errors back with their name, message and the thread's stack", async () => {
  const fail = syncToAsync<[string], never>(WORK, "fail", { threadSensitive: false });
  const error = (await rejection(fail("bad input"))) as Error;
  assertEqual(error.name, "TypeError");
  assertEqual(error.message, "bad input");
  assert(String(error.stack).includes("blocking-work.ts"), `stack should name the module, got ${error.stack}`);
});

check("names a missing export", async () => {
  const missing = syncToAsync(WORK, "nope");
  const error = (await rejection(missing())) as Error;
  assert(/no function export named "nope"/.test(error.message), error.message);
});

check("outside a request, thread-sensitive calls share one thread", async () => {
  const which = syncToAsync<[], number>(WORK, "whichThread");
  const ids = await Promise.all([which(), which(), which()]);
  assertEqual(new Set(ids).size, 1, "threads used");
  assert(ids[0]! > 0, "not the main thread");
});

check("keeps the event loop free while a thread blocks", async () => {
  await using pool = new ThreadPool({ threads: 1 });
  const sleep = syncToAsync<[number], { slept: number }>(WORK, "blockingSleep", { pool });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await sleep(300);
  clearInterval(timer);
  assert(ticks >= 5, `the loop ticked ${ticks} times during a 300 ms blocking call`);
});

check("refuses a call past the queue limit with a 503 HttpError", async () => {
  await using pool = new ThreadPool({ threads: 1, queueSize: 1 });
  const sleep = syncToAsync<[number], unknown>(WORK, "blockingSleep", { pool });
  const running = sleep(300);
  const queued = sleep(10);
  const refused = await rejection(sleep(10));
  assert(refused instanceof HttpError, "an HttpError");
  assertEqual((refused as HttpError).status, 503);
  assertEqual((refused as HttpError).code, "thread_pool_full");
  await Promise.all([running, queued]);
});

check("detach: an aborted call stops waiting while its thread finishes the work", async () => {
  await using pool = new ThreadPool({ threads: 1 });
  const sleep = syncToAsync<[number], unknown>(WORK, "blockingSleep", { pool, onCancel: "detach" });
  const controller = new AbortController();
  const call = sleep.with({ signal: controller.signal })(400);
  await delay(50);
  controller.abort(new Error("client left"));
  assertEqual(((await rejection(call)) as Error).message, "client left");
  assertEqual(pool.busy, 1, "the thread is still busy");
  // The thread frees itself when its 400 ms call ends; poll (bounded) so a loaded machine does not flake it.
  for (let waited = 0; pool.busy > 0 && waited < 10_000; waited += 50) await delay(50);
  assertEqual(pool.busy, 0, "the thread finished and is free");
});

check("terminate: an aborted call ends its thread, and a new thread serves the next call", async () => {
  await using pool = new ThreadPool({ threads: 1 });
  const sleep = syncToAsync<[number], { threadId: number }>(WORK, "blockingSleep", { pool, onCancel: "terminate" });
  const first = (await sleep(1)).threadId;
  const controller = new AbortController();
  const call = sleep.with({ signal: controller.signal })(5000);
  await delay(50);
  controller.abort(new Error("give up"));
  assertEqual(((await rejection(call)) as Error).message, "give up");
  assertEqual(pool.busy, 0, "no thread is held");
  const next = (await sleep(1)).threadId;
  assert(next !== first, `a replacement thread (was ${first}, now ${next})`);
});

check("drops a queued call whose signal aborts", async () => {
  await using pool = new ThreadPool({ threads: 1 });
  const sleep = syncToAsync<[number], unknown>(WORK, "blockingSleep", { pool });
  const running = sleep(200);
  const controller = new AbortController();
  const queued = sleep.with({ signal: controller.signal })(200);
  controller.abort(new Error("never mind"));
  assertEqual(((await rejection(queued)) as Error).message, "never mind");
  assertEqual(pool.queued, 0);
  await running;
});

check("sends the caller's ContextVar values when asked", async () => {
  const tenant = new ContextVar<string>("tenant");
  const read = syncToAsync<[string], unknown>(WORK, "readContext", { context: [tenant], threadSensitive: false });
  const bare = syncToAsync<[string], unknown>(WORK, "readContext", { threadSensitive: false });
  await tenant.run("acme", async () => {
    assertEqual(await read("tenant"), "acme");
    assertEqual(await bare("tenant"), null, "without `context` nothing is sent");
  });
});

check("await using ends the pool's threads", async () => {
  let pool: ThreadPool;
  {
    await using p = new ThreadPool({ threads: 2 });
    pool = p;
    await syncToAsync(WORK, "add", { pool: p })(1, 1);
  }
  const error = (await rejection(pool.run(String(WORK), "add", [1, 1]))) as Error;
  assert(/closed/.test(error.message), error.message);
});

// ---- issue 9 -------------------------------------------------------------------------------------------

check("an uncopyable argument rejects that call with a DataCloneError naming the argument", async () => {
  const add = syncToAsync<[unknown, unknown], unknown>(WORK, "add");
  const error = (await rejection(within(5000, add(1, { method() {} }), "the call"))) as Error;
  assertEqual(error.name, "DataCloneError");
  assert(/^syncToAsync\(blocking-work\.ts#add\): argument 2 cannot be copied to a worker thread: ./.test(error.message), error.message);
});

check("after an uncopyable argument, thread-sensitive calls still complete (the thread was released)", async () => {
  const add = syncToAsync<[unknown, unknown], unknown>(WORK, "add");
  await rejection(within(5000, add(() => 1, 2), "the uncopyable call"));
  assertEqual(await within(5000, add(2, 2), "the next thread-sensitive call"), 4);
});

check("a result that cannot be copied back rejects the call with a DataCloneError naming the part", async () => {
  const callback = syncToAsync<[], unknown>(WORK, "withCallback");
  const error = (await rejection(within(5000, callback(), "the call"))) as Error;
  assertEqual(error.name, "DataCloneError");
  assert(/^syncToAsync\(blocking-work\.ts#withCallback\): the result cannot be copied from the worker thread: the result\.done is a function/.test(error.message), error.message);
  assertEqual(await within(5000, syncToAsync<[number, number], number>(WORK, "add")(1, 1), "the next call"), 2);
});

check("a queued call with an uncopyable argument is rejected at its turn and the next queued call runs", async () => {
  await using pool = new ThreadPool({ threads: 1 });
  const sleep = syncToAsync<[unknown], { slept: unknown }>(WORK, "blockingSleep", { pool });
  const running = sleep(100);
  const uncopyable = sleep({ at: Symbol("not copyable") });
  const next = sleep(1);
  const error = (await rejection(within(5000, uncopyable, "the uncopyable call"))) as Error;
  assert(/argument 1 cannot be copied/.test(error.message), error.message);
  assertEqual((await within(5000, next, "the call queued after it")).slept, 1);
  await running;
  assertEqual(pool.busy + pool.queued, 0, "calls held by the pool");
});

check("thread-sensitive calls from one request, and the tasks it starts, keep to one thread", async () => {
  const which = syncToAsync<[], number>(WORK, "whichThread");
  const app = new App().get("/which", async () => {
    const first = await which();
    const [a, b] = await gather([() => which(), () => which()]);
    return json([first, a, b, await which()]);
  });
  const ids = (await (await app.fetch(req("/which"))).json()) as number[];
  assertEqual(new Set(ids).size, 1, `threads used by one request (${ids})`);
});

check("concurrent requests run thread-sensitive calls on different threads, in parallel (4 x 200 ms)", async () => {
  const sleep = syncToAsync<[number], { threadId: number }>(WORK, "blockingSleep");
  const app = new App().get("/sleep", async () => json(await sleep(200)));
  const concurrently = async (n: number) => {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: n }, async () => (await app.fetch(req("/sleep"))).json()));
    return { ms: performance.now() - started, threads: new Set(answers.map((a) => (a as { threadId: number }).threadId)).size };
  };
  await concurrently(4); // starts the threads
  const one = await concurrently(1);
  const four = await concurrently(4);
  assertEqual(four.threads, 4, "threads used by 4 concurrent requests");
  assert(four.ms < one.ms * 2.5, `4 concurrent requests took ${four.ms.toFixed(0)} ms, one took ${one.ms.toFixed(0)} ms`);
});

check("10,000 requests leave no thread binding behind", async () => {
  const add = syncToAsync<[number, number], number>(WORK, "add");
  const app = new App().get("/add", async () => json(await add(1, 2)));
  const firsts: WeakRef<Request>[] = [];
  // The app's very first request stays reachable with or without syncToAsync (measured on all three runtimes).
  await app.fetch(req("/add"));
  for (let batch = 0; batch < 100; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const request = req("/add");
        if (batch === 0) firsts.push(new WeakRef(request));
        assertEqual(await (await app.fetch(request)).json(), 3);
      }),
    );
  }
  await delay(10);
  collectGarbage();
  assertEqual(firsts.filter((ref) => ref.deref() !== undefined).length, 0, "requests of the first batch (which started the threads) still held");
  const pool = defaultPools().threadSensitive;
  assertEqual(pool.busy + pool.queued, 0, "calls held by the pool");
});

// ---- issue 13: idle threads end ---------------------------------------------------------------------------

check("a thread ends after idleTimeout without a call, never while busy, and the next call starts a new one", async () => {
  await using pool = new ThreadPool({ threads: 1, idleTimeout: 150 });
  const sleep = syncToAsync<[number], { threadId: number }>(WORK, "blockingSleep", { pool });
  const first = (await within(10_000, sleep(400), "a call longer than idleTimeout")).threadId;
  assertEqual((await sleep(1)).threadId, first, "a call right after reuses the thread");
  assertEqual(pool.alive, 1, "threads alive while in use");
  for (let waited = 0; pool.alive > 0 && waited < 10_000; waited += 50) await delay(50);
  assertEqual(pool.alive, 0, "threads alive after idleTimeout");
  const next = (await within(10_000, sleep(1), "the call after the thread ended")).threadId;
  assert(next !== first, `a new thread (was ${first}, now ${next})`);
});

check("idleTimeout defaults to 10 s, is settable on the default pools, and refuses a negative value", async () => {
  assertEqual(new ThreadPool().idleTimeout, 10_000);
  const pool = defaultPools().threadSensitive;
  assertEqual(pool.idleTimeout, 10_000);
  const refused = (await rejection(Promise.resolve().then(() => new ThreadPool({ idleTimeout: -1 })))) as Error;
  assert(refused instanceof RangeError && /idleTimeout must be a number of ms >= 0/.test(refused.message), String(refused));
});

await runChecks();
