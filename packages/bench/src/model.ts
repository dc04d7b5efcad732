// The model lines drawn beside the measurements (Little's law): an async server holds C requests in flight,
// so req/s = C / L; the blocking baseline holds at most T, so req/s = min(C, T) / L. Fan-out: gather = max, sequential = sum.

export interface Prediction {
  rps: number;
  latencyMs: number;
  formula: string;
}

/** Throughput of `inFlight` concurrent requests that each take `latencyMs`. */
export function littlesLaw(inFlight: number, latencyMs: number): number {
  if (latencyMs <= 0) throw new RangeError("latency must be > 0");
  return inFlight / (latencyMs / 1000);
}

/** The latency of N upstream calls of `ms` each: concurrently (gather) the slowest, one by one (sequential) the sum. */
export function fanoutLatency(kind: "gather" | "sequential", n: number, ms: number): number {
  return kind === "gather" ? ms : n * ms;
}

/**
 * The prediction for an I/O-bound scenario whose requests each wait `latencyMs`, at `connections` closed-loop
 * connections: async servers keep every connection busy; a pool of `threads` keeps at most that many.
 */
export function predict(latencyMs: number, connections: number, threads: number | null): Prediction {
  if (threads === null) return { rps: littlesLaw(connections, latencyMs), latencyMs, formula: "C / L" };
  const inFlight = Math.min(connections, threads);
  // Requests beyond T wait in the queue: each waits C / T rounds of L.
  return { rps: littlesLaw(inFlight, latencyMs), latencyMs: latencyMs * Math.max(1, connections / threads), formula: "T / L" };
}

/** One limit on a target's throughput, req/s, with the formula it comes from. */
export interface Bound {
  name: "concurrency" | "cpu" | "client";
  rps: number;
  formula: string;
}

export interface BoundsInput {
  /** The wait each request spends on I/O when nothing else limits it, ms (L). */
  latencyMs: number;
  connections: number;
  /** The blocking baseline's threads, or null for an event loop. */
  threads: number | null;
  /** The server's CPU time per request, ns, or null when unknown. */
  cpuNsPerRequest: number | null;
  /** Cores the server can keep busy (--cores: its workers, or its pool's cores); 1 when absent. */
  cores?: number;
  /** Fan-out: upstream calls per request (n) and each call's latency, ms; null for scenarios without calls. */
  fanout: { n: number; callMs: number } | null;
  /** The server's HTTP client's cap on simultaneous requests (Bun's fetch), or null when it has none. */
  clientCap: number | null;
}

/**
 * Every bound the model knows, and the lowest, which is the prediction: the concurrency bound (C / L, or T / L for
 * a pool of T threads), the CPU bound (its cores / CPU per request), and for fan-out the server's HTTP client's cap
 * (cap / (n x L_call): a request holds n of its slots for the call's latency in gather, or one slot for n calls in a row).
 */
export function modelBounds(input: BoundsInput): { rps: number; active: Bound; bounds: Bound[] } {
  const bounds: Bound[] = [];
  const concurrency = predict(input.latencyMs, input.connections, input.threads);
  bounds.push({ name: "concurrency", rps: concurrency.rps, formula: concurrency.formula });
  if (input.cpuNsPerRequest !== null && input.cpuNsPerRequest > 0) {
    const cores = input.cores ?? 1;
    bounds.push({ name: "cpu", rps: (cores * 1e9) / input.cpuNsPerRequest, formula: cores > 1 ? `${cores} cores / CPU per request` : "1 / CPU per request" });
  }
  if (input.fanout && input.clientCap !== null) {
    bounds.push({ name: "client", rps: littlesLaw(input.clientCap / input.fanout.n, input.fanout.callMs), formula: "client cap / (n x L)" });
  }
  const active = bounds.reduce((low, b) => (b.rps < low.rps ? b : low));
  return { rps: active.rps, active, bounds };
}
