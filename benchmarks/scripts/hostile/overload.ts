// Overload: 20,000 concurrent /sleep?ms=1000 (scale 1) against --limit-concurrency 1000: 503 + Retry-After for the
// excess at once, no crash, /hello normal within 2 s; 200s per the model (the limit; blocking: threads x window / sleep).

import type { RuntimeName } from "@asyncview/cli/args";
import { burst } from "./burst.ts";
import { helloWithin } from "./client.ts";
import { alive, report, Sampler, startTarget } from "./server.ts";
import { BLOCKING_THREADS, check, scaled, type AttackResult, type Settings } from "./types.ts";

export async function overload(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const count = scaled(20_000, settings.scale);
  const limit = scaled(1_000, settings.scale);
  const target = await startTarget(runtime, settings, { flags: ["--limit-concurrency", String(limit)] });
  const sampler = new Sampler(target.pid);
  try {
    // A client gives up after 5 s at CI scale, 30 s at full scale: either is many times the 1 s sleep.
    const windowMs = Math.max(5_000, 30_000 * settings.scale);
    const result = await burst(target.port, "/sleep?ms=1000", count, windowMs);
    // The async adapters run every admitted sleep at once: `limit` of them. The blocking baseline holds one request per
    // thread, so within the window it can answer at most threads x window / sleep, however many it admitted.
    const capacity = runtime === "blocking" ? Math.min(limit, Math.floor((BLOCKING_THREADS * windowMs) / 1_000)) : limit;
    const hello = alive(target) ? await helloWithin(target.port, 2_000) : { status: null, afterMs: 0 };
    const ok = result.ends["200"] ?? 0;
    const shed = result.ends["503"] ?? 0;
    const failed = count - ok - shed;
    const shedP50 = result.p50ms["503"] ?? null;
    const ok200P50 = result.p50ms["200"] ?? null;
    // Blocking: the admitted requests beyond what the threads served in the window wait in its queue past the client's
    // patience; those timeouts are the model, not a failure (at most limit − the 200s of them).
    const queuedOut = runtime === "blocking" ? Math.min(result.ends["timeout"] ?? 0, Math.max(0, limit - ok)) : 0;
    const checks = [
      check("the process lives", alive(target), `exit ${target.server.child.exitCode}`),
      check("the excess gets 503", shed > 0, `${shed} × 503`),
      check("every 503 carries Retry-After", shed > 0 && result.without503RetryAfter === 0, `${result.without503RetryAfter} without`),
      // "At once" = without running the view. At full scale the 20,000 connections themselves take seconds to be
      // accepted on 2 cores (clients included), so every answer waits that long; a 503 must then still beat the 200s,
      // which wait the same and run the 1 s view besides. A limiter that queued instead of shedding would fail both.
      check(
        "a 503 comes at once (p50 < the 1 s sleep, or below the 200s' p50 when accepting the burst takes longer)",
        shedP50 !== null && (shedP50 < 1_000 || (ok200P50 !== null && shedP50 < ok200P50)),
        `p50 ${shedP50} ms (200s: ${ok200P50} ms)`,
      ),
      check(
        `at least half the model's capacity is served 200 (${runtime === "blocking" ? `min(limit, ${BLOCKING_THREADS} threads x ${windowMs / 1000} s / 1 s)` : "the limit"} = ${capacity})`,
        ok >= capacity / 2,
        `${ok} × 200 (limit ${limit})`,
      ),
      check(
        runtime === "blocking"
          ? "at most 1% of clients get neither (no reset, refusal; a timeout only for an admitted one no thread reached in the window: limit − 200s)"
          : "at most 1% of clients get neither (no reset, timeout, refusal)",
        failed - queuedOut <= count / 100,
        JSON.stringify(result.ends),
      ),
      check("/hello is normal within 2 s after", hello.status === 200, `status ${hello.status} after ${hello.afterMs} ms`),
    ];
    return report("overload", target, checks, {
      requests: count,
      limit,
      capacity,
      ok200: ok,
      shed503: shed,
      other: failed,
      ends: JSON.stringify(result.ends),
      p50ms200: ok200P50,
      p99ms200: result.p99ms["200"] ?? null,
      p50ms503: shedP50,
      helloAfterMs: hello.afterMs,
      peakRssMiB: sampler.peakRss,
      peakFds: sampler.peakFds,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
