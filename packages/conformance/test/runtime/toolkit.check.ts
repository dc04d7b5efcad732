// The asyncio toolkit in this runtime (node, bun or deno, whichever runs this file): gather, TaskGroup,
// timeout, signal linking without listener growth, ContextVar isolation, request ids, asyncUnsafe, the detector.

import {
  ALLOW_ASYNC_UNSAFE,
  App,
  asyncUnsafe,
  ContextVar,
  consoleLogger,
  gather,
  json,
  linkSignals,
  type Logger,
  requestId,
  sleep,
  SynchronousOnlyError,
  TaskGroup,
  TaskGroupClosedError,
  timeout,
} from "@asyncview/core";
import { assert, assertEqual, check, currentRuntime, delay, installAdapter, rejection, runChecks } from "../../src/checks.ts";

await installAdapter();

const silent: Logger = { info() {}, warn() {}, error() {} };
function recording(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message, fields) => void lines.push({ level: "info", message, fields }),
    warn: (message, fields) => void lines.push({ level: "warn", message, fields }),
    error: (message, fields) => void lines.push({ level: "error", message, fields }),
  };
}
const blockFor = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const req = (path: string, init?: RequestInit) => new Request(`http://test.local${path}`, init);

check("gather: results in argument order, all started before any finished", async () => {
  const events: string[] = [];
  const task = (name: string, ms: number) => async () => {
    events.push(`start ${name}`);
    await sleep(ms);
    events.push(`end ${name}`);
    return name;
  };
  const results = await gather([task("slow", 40), task("fast", 5), async () => 42]);
  assertEqual(results, ["slow", "fast", 42]);
  assertEqual(events.slice(0, 2), ["start slow", "start fast"]);
});

check("gather: a failure cancels the siblings through their signals, then throws the first error", async () => {
  const seen: string[] = [];
  const sibling = (name: string) => async (signal: AbortSignal) => {
    try {
      await sleep(10_000, { signal });
    } finally {
      seen.push(`${name} aborted=${signal.aborted}`);
    }
  };
  const error = await rejection(
    gather([sibling("a"), async () => { await sleep(10); throw new Error("boom"); }, sibling("b")]),
  );
  assertEqual((error as Error).message, "boom");
  // gather waited for the siblings to unwind before throwing: nothing is left running.
  assertEqual(seen.sort(), ["a aborted=true", "b aborted=true"]);
});

check("gather settle mode: every outcome, nothing cancelled (return_exceptions)", async () => {
  let siblingAborted = false;
  const outcomes = await gather(
    [
      async () => { throw new Error("first"); },
      async (signal: AbortSignal) => { await sleep(20); siblingAborted = signal.aborted; return "ok"; },
    ],
    { settle: true },
  );
  assertEqual(outcomes.map((o) => o.status), ["rejected", "fulfilled"]);
  assertEqual((outcomes[1] as PromiseFulfilledResult<string>).value, "ok");
  assertEqual(siblingAborted, false, "sibling cancelled");
});

check("gather: the parent signal cancels every task", async () => {
  const parent = new AbortController();
  const pending = gather([(s) => sleep(10_000, { signal: s }), (s) => sleep(10_000, { signal: s })], { signal: parent.signal });
  parent.abort(new Error("client left"));
  assertEqual(((await rejection(pending)) as Error).message, "client left");
});

check("TaskGroup: waits for all, aggregates every failure, the first cancels the rest", async () => {
  const group = new TaskGroup();
  let cancelled = false;
  const results: number[] = [];
  group.spawn(async () => { await sleep(5); results.push(1); });
  group.spawn(async () => { await sleep(10); throw new Error("one"); });
  group.spawn(async () => { await sleep(10); throw new Error("two"); });
  group.spawn(async (signal) => {
    try { await sleep(10_000, { signal }); } catch (e) { cancelled = signal.aborted; throw e; }
  });
  const error = await rejection(group.wait());
  assert(error instanceof AggregateError, "an AggregateError");
  assertEqual((error as AggregateError).errors.map((e: Error) => e.message).sort(), ["one", "two"]);
  assertEqual(results, [1]);
  assertEqual(cancelled, true, "the long task was cancelled");
  let refused: unknown;
  try { group.spawn(async () => 1); } catch (e) { refused = e; }
  assert(refused instanceof TaskGroupClosedError, "spawn after wait is refused");
});

check("TaskGroup: `await using` waits for spawned tasks (the seed's create_task, then await both)", async () => {
  const done: string[] = [];
  {
    await using group = new TaskGroup();
    group.spawn(async () => { await sleep(20); done.push("A"); });
    group.spawn(async () => { await sleep(10); done.push("B"); });
  }
  assertEqual(done, ["B", "A"]);
});

check("TaskGroup: an unobserved failure is logged, never lost", async () => {
  const log = recording();
  const group = new TaskGroup({ logger: log, name: "background" });
  group.spawn(async () => { throw new Error("nobody awaited me"); });
  await delay(10);
  assertEqual(log.lines.map((l) => l.message), ["background: a task failed"]);
});

check("timeout: the task is cancelled and the caller gets a TimeoutError", async () => {
  let innerAborted = false;
  const error = await rejection(
    timeout(30, async (signal) => {
      signal.addEventListener("abort", () => (innerAborted = true));
      await sleep(10_000, { signal });
    }),
  );
  assertEqual((error as DOMException).name, "TimeoutError");
  assertEqual(innerAborted, true, "inner signal aborted");
  assertEqual(await timeout(1000, async () => "in time"), "in time");
});

check("timeout: a task that ignores its signal still gives the caller a TimeoutError at the deadline", async () => {
  const error = await rejection(timeout(20, () => new Promise((resolve) => setTimeout(resolve, 300))));
  assertEqual((error as DOMException).name, "TimeoutError");
});

check("linkSignals: 100,000 requests leave no listener on a long-lived signal", async () => {
  // Count the listeners on one long-lived signal by instrumenting that instance (works the same on every runtime).
  const lifetime = new AbortController();
  let listeners = 0;
  const add = lifetime.signal.addEventListener.bind(lifetime.signal);
  const remove = lifetime.signal.removeEventListener.bind(lifetime.signal);
  lifetime.signal.addEventListener = ((...args: Parameters<typeof add>) => { listeners++; add(...args); }) as typeof add;
  lifetime.signal.removeEventListener = ((...args: Parameters<typeof remove>) => { listeners--; remove(...args); }) as typeof remove;

  const app = new App({ logger: silent })
    .get("/linked", async (_r, ctx) => {
      using link = linkSignals(ctx.signal, lifetime.signal);
      const [a] = await gather([async () => 1, async () => 2], { signal: link.signal });
      const b = await timeout(1000, async () => 3, { signal: lifetime.signal });
      return json({ sum: a + b });
    })
    .get("/leaky", (_r, ctx) => {
      lifetime.signal.addEventListener("abort", () => ctx.signal);
      return json({});
    });
  for (let i = 0; i < 100_000; i++) {
    const response = await app.fetch(req("/linked"));
    if (i === 0) assertEqual(await response.json(), { sum: 4 });
  }
  assertEqual(listeners, 0, "listeners left on the long-lived signal after 100,000 requests");
  // The counter does see a leak when there is one.
  for (let i = 0; i < 10; i++) await app.fetch(req("/leaky"));
  assertEqual(listeners, 10, "a view that never removes its listener");
});

check("ContextVar: 1,000 interleaved requests each see only their own value, across awaits and in tasks", async () => {
  const user = new ContextVar<string>("user");
  const app = new App({ logger: silent }).get("/who", async (_r, ctx) => {
    const me = ctx.query.get("u")!;
    user.set(me);
    await sleep(Math.floor(Math.random() * 5));
    const afterAwait = user.get();
    const inTask = await ctx.spawn(async () => { await sleep(Math.floor(Math.random() * 5)); return user.get(); });
    const [inGather] = await gather([async () => user.get()]);
    return json({ me, afterAwait, inTask, inGather });
  });
  const answers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => app.fetch(req(`/who?u=user${i}`)).then((r) => r.json() as Promise<Record<string, string>>)),
  );
  const wrong = answers.filter((a) => a.afterAwait !== a.me || a.inTask !== a.me || a.inGather !== a.me);
  assertEqual(wrong.length, 0, `requests that saw another request's value (e.g. ${JSON.stringify(wrong[0])})`);
  assertEqual(user.get(), undefined, "nothing leaks outside the requests");
});

check("request id: taken from x-request-id or generated, and carried by the log lines", async () => {
  const printed: string[] = [];
  const original = console.error;
  console.error = (line: string) => void printed.push(line);
  try {
    const app = new App({ logger: consoleLogger }).get("/log", () => {
      consoleLogger.warn("inside the view");
      return json({ id: requestId() });
    });
    const given = await (await app.fetch(req("/log", { headers: { "x-request-id": "abc-123" } }))).json();
    const made = (await (await app.fetch(req("/log"))).json()) as { id: string };
    assertEqual(given, { id: "abc-123" });
    assert(/^[0-9a-f-]{36}$/.test(made.id), `a UUID, got ${made.id}`);
    assertEqual(JSON.parse(printed[0]!).requestId, "abc-123");
    assertEqual(JSON.parse(printed[1]!).requestId, made.id);
  } finally {
    console.error = original;
  }
});

check("request id: fixed while the request is alive; reading a closed request never makes the logger throw", async () => {
  const printed: string[] = [];
  const original = console.error;
  console.error = (line: string) => void printed.push(line);
  let closed = false;
  // Deno's Request throws "Request closed" when its headers are first read after the response has gone.
  class Closing extends Request {
    override get headers(): Headers {
      if (closed) throw new TypeError("Request closed");
      return super.headers;
    }
  }
  let release!: () => void;
  const later = new Promise<void>((resolve) => (release = resolve));
  try {
    const app = new App({ logger: consoleLogger }).get("/bg", (_r, ctx) => {
      ctx.waitUntil(later.then(() => consoleLogger.warn("in waitUntil")));
      void ctx.spawn(async () => {
        await later;
        consoleLogger.warn("in spawn");
      });
      return json({ ok: true });
    });
    const plain = new App({ logger: consoleLogger }).get("/untracked", () => {
      void later.then(() => consoleLogger.warn("untracked"));
      return json({ ok: true });
    });
    const headers = { "x-request-id": "alive-1" };
    await app.fetch(new Closing("http://test.local/bg", { headers }));
    await plain.fetch(new Closing("http://test.local/untracked", { headers }));
    closed = true;
    release();
    await app.tasks.drain(1000);
    await delay(10);
    const lines = printed.map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    const idOf = (msg: string) => lines.find((line) => line.msg === msg)?.requestId;
    assertEqual(idOf("in waitUntil"), "alive-1", "the waitUntil line's request id");
    assertEqual(idOf("in spawn"), "alive-1", "the spawned task's request id");
    assert(lines.some((line) => line.msg === "untracked"), `the untracked line was logged: ${JSON.stringify(printed)}`);
  } finally {
    console.error = original;
  }
});

check("asyncUnsafe: refuses on the event loop, allowed by the environment variable", async () => {
  const query = asyncUnsafe(() => "rows", "User.objects.get");
  let error: unknown;
  try { query(); } catch (e) { error = e; }
  assert(error instanceof SynchronousOnlyError, "SynchronousOnlyError");
  assert(/User\.objects\.get blocks.*syncToAsync/.test((error as Error).message), (error as Error).message);
  process.env[ALLOW_ASYNC_UNSAFE] = "1";
  if (currentRuntime() === "deno") (globalThis as unknown as { Deno: { env: { set(k: string, v: string): void } } }).Deno.env.set(ALLOW_ASYNC_UNSAFE, "1");
  try {
    assertEqual(query(), "rows");
  } finally {
    delete process.env[ALLOW_ASYNC_UNSAFE];
    if (currentRuntime() === "deno") (globalThis as unknown as { Deno: { env: { delete(k: string): void } } }).Deno.env.delete(ALLOW_ASYNC_UNSAFE);
  }
});

check("blocking detector: names the view that blocked the loop (Atomics.wait) and for how long", async () => {
  const log = recording();
  const app = new App({ logger: log, blockingDetector: { thresholdMs: 50 } })
    .get("/block/:n", () => { blockFor(120); return json({ ok: true }); })
    .get("/fine", () => json({ ok: true }));
  await app.startup();
  await app.fetch(req("/block/1"));
  await app.fetch(req("/fine"));
  await delay(60);
  await app.shutdown();
  const warning = log.lines.find((l) => l.level === "warn");
  assert(warning !== undefined, "a warning");
  assert(/blocked for \d+ ms by GET \/block\/:n/.test(warning.message), warning.message);
  assert((warning.fields!.blockedMs as number) >= 100, `blockedMs ${warning.fields!.blockedMs}`);
  const stats = app.blocking!.snapshot();
  assertEqual(stats.byView["GET /block/:n"]?.count, 1);
  assertEqual(stats.byView["GET /fine"], undefined);
  assertEqual(stats.total, 1, "reported once, not again by the sampler");
});

check("blocking detector: a block after an await is caught by the drift sampler, with the views in flight", async () => {
  const log = recording();
  const app = new App({ logger: log, blockingDetector: { thresholdMs: 50 } }).get("/late", async () => {
    await sleep(5);
    blockFor(150);
    await sleep(5);
    return json({ ok: true });
  });
  await app.startup();
  await app.fetch(req("/late"));
  await delay(60);
  await app.shutdown();
  const stats = app.blocking!.snapshot();
  assertEqual(stats.unattributed.count, 1);
  const warning = log.lines.find((l) => l.level === "warn")!;
  assertEqual(warning.fields!.inFlight, ["GET /late"]);
});

check("blocking detector: off unless asked (or in debug mode)", () => {
  assertEqual(new App().blocking, undefined);
  assert(new App({ debug: true }).blocking !== undefined, "on in debug mode");
});

await runChecks();
