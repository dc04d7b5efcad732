// The model lines' math: Little's law for async servers (C / L), the thread pool's ceiling (T / L) with its
// queueing latency, and the fan-out rules (gather = the slowest call, sequential = the sum).

import { describe, expect, it } from "vitest";
import { fanoutLatency, littlesLaw, modelBounds, predict } from "../src/model.ts";

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

describe("the model's bounds: the lowest one predicts and is named", () => {
  const sleep = { latencyMs: 100, fanout: null, clientCap: null };

  it("sleep on an event loop with cheap requests: the concurrency bound C / L", () => {
    const m = modelBounds({ ...sleep, connections: 256, threads: null, cpuNsPerRequest: 60_000 });
    expect(m.active).toMatchObject({ name: "concurrency", formula: "C / L", rps: 2560 });
    expect(m.bounds.find((b) => b.name === "cpu")!.rps).toBeCloseTo(1e9 / 60_000);
  });

  it("sleep at 1,024 connections with 150 µs of CPU each: the CPU bound (6,667 < 10,240)", () => {
    const m = modelBounds({ ...sleep, connections: 1024, threads: null, cpuNsPerRequest: 150_000 });
    expect(m.active.name).toBe("cpu");
    expect(m.rps).toBeCloseTo(6666.67, 1);
  });

  it("the blocking baseline: T / L whatever C", () => {
    expect(modelBounds({ ...sleep, connections: 1024, threads: 5, cpuNsPerRequest: 1_000_000 }).active).toMatchObject({ name: "concurrency", formula: "T / L", rps: 50 });
  });

  it("gather on Bun's default fetch cap (256): the client bound 256 / (10 x 50 ms) = 512 req/s at 128 connections", () => {
    const m = modelBounds({ latencyMs: 50, connections: 128, threads: null, cpuNsPerRequest: 400_000, fanout: { n: 10, callMs: 50 }, clientCap: 256 });
    expect(m.active).toMatchObject({ name: "client", formula: "client cap / (n x L)" });
    expect(m.rps).toBeCloseTo(512);
    // The same on Node (no cap) with 1.3 ms of CPU per request: the CPU bound, 769 req/s.
    const node = modelBounds({ latencyMs: 50, connections: 128, threads: null, cpuNsPerRequest: 1_300_000, fanout: { n: 10, callMs: 50 }, clientCap: null });
    expect(node.active.name).toBe("cpu");
    expect(node.bounds.map((b) => b.name)).toEqual(["concurrency", "cpu"]);
  });

  it("without a CPU figure only the bounds it knows", () => {
    expect(modelBounds({ ...sleep, connections: 64, threads: null, cpuNsPerRequest: null }).bounds).toHaveLength(1);
  });
});
