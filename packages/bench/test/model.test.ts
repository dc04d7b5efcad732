// The model lines' math: Little's law for async servers (C / L), the thread pool's ceiling (T / L) with its
// queueing latency, and the fan-out rules (gather = the slowest call, sequential = the sum).

import { describe, expect, it } from "vitest";
import { fanoutLatency, littlesLaw, predict } from "../src/model.ts";

describe("model", () => {
  it("Little's law: C requests in flight that each take L give C / L per second", () => {
    expect(littlesLaw(200, 100)).toBe(2000);
    expect(littlesLaw(1, 1000)).toBe(1);
    expect(() => littlesLaw(10, 0)).toThrow(RangeError);
  });

  it("async: every connection in flight (the seed's 200 connections at 100 ms: 2,000 req/s)", () => {
    expect(predict(100, 200, null)).toEqual({ rps: 2000, latencyMs: 100, formula: "C / L" });
  });

  it("blocking: T threads cap the rate at T / L whatever C, and queued requests wait C / T rounds", () => {
    expect(predict(100, 200, 8)).toEqual({ rps: 80, latencyMs: 2500, formula: "T / L" });
    expect(predict(100, 1024, 8).rps).toBe(80);
    // Fewer connections than threads: nothing waits, C / L.
    expect(predict(100, 4, 8)).toEqual({ rps: 40, latencyMs: 100, formula: "T / L" });
  });

  it("fan-out: gather takes the slowest call, sequential the sum", () => {
    expect(fanoutLatency("gather", 10, 50)).toBe(50);
    expect(fanoutLatency("sequential", 10, 50)).toBe(500);
  });
});
