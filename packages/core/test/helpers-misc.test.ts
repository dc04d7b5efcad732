// Unit tests for the small helpers: intParam, sleep, TaskTracker.drain, compose without middleware.

import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { HttpError } from "../src/errors.ts";
import { intParam } from "../src/query.ts";
import { sleep } from "../src/sleep.ts";
import { TaskTracker } from "../src/tasks.ts";
import { recordingLogger } from "./helpers.ts";

describe("intParam", () => {
  const q = (s: string) => new URLSearchParams(s);

  it("parses, defaults and bounds", () => {
    expect(intParam(q("ms=250"), "ms")).toBe(250);
    expect(intParam(q(""), "ms", { default: 7 })).toBe(7);
    expect(intParam(q("ms="), "ms", { default: 7 })).toBe(7);
    expect(intParam(q("n=-3"), "n", { min: -5 })).toBe(-3);
  });

  it("answers 400 naming the parameter for missing, non-integer and out-of-range values", () => {
    for (const [query, pattern] of [
      ["", /is required/],
      ["ms=abc", /must be an integer/],
      ["ms=1.5", /must be an integer/],
      ["ms=1e3", /must be an integer/],
      ["ms=70000", /in 0\.\.60000/],
    ] as const) {
      try {
        intParam(q(query), "ms", { min: 0, max: 60_000 });
        expect.unreachable(`no error for ${query}`);
      } catch (error) {
        expect(error).toBeInstanceOf(HttpError);
        expect((error as HttpError).status).toBe(400);
        expect((error as HttpError).message).toMatch(pattern);
      }
    }
  });
});

describe("sleep", () => {
  it("resolves after the delay without blocking other work", async () => {
    // A timer due sooner runs while sleep waits (a sleep that blocked would resume before it, however loaded the machine).
    let ran = false;
    setTimeout(() => (ran = true), 0);
    await sleep(30);
    expect(ran).toBe(true);
  });

  it("rejects with the signal's reason when aborted, before or during", async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, { signal: controller.signal });
    controller.abort(new Error("client left"));
    await expect(pending).rejects.toThrow("client left");
    await expect(sleep(5, { signal: controller.signal })).rejects.toThrow("client left");
  });

  it("leaves no listener on the signal once it ended, either way", async () => {
    const controller = new AbortController();
    await sleep(1, { signal: controller.signal });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const pending = sleep(10_000, { signal: controller.signal });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("refuses negative and non-finite delays", async () => {
    await expect(sleep(-1)).rejects.toThrow(RangeError);
    await expect(sleep(Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe("TaskTracker", () => {
  it("drains work added while draining and reports failures", async () => {
    const log = recordingLogger();
    const tracker = new TaskTracker(log);
    tracker.track(
      sleep(10).then(() => tracker.track(sleep(10).then(() => Promise.reject(new Error("late failure"))), "late")),
    );
    expect(await tracker.drain(2000)).toBe(true);
    expect(tracker.size).toBe(0);
    expect(log.records.map((r) => r.message)).toEqual(["late failed"]);
  });

  it("returns false when the deadline passes", async () => {
    const tracker = new TaskTracker(recordingLogger());
    tracker.track(new Promise(() => {}));
    expect(await tracker.drain(20)).toBe(false);
    expect(tracker.size).toBe(1);
  });
});
