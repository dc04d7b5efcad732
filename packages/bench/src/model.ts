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
