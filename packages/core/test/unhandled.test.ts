// guardUnhandled with a fake runtime hook: who logs an error nobody handled, when the process exits, and that the
// runtime's hook is held only while a server guards (the real runtimes are tested by the conformance fault suite).

import { describe, expect, it } from "vitest";
import { installRuntime } from "../src/runtime.ts";
import { guardUnhandled, type UnhandledKind } from "../src/unhandled.ts";
import { recordingLogger } from "./helpers.ts";

describe("guardUnhandled", () => {
  let handler: ((error: unknown, kind: UnhandledKind) => void) | undefined;
  const exits: number[] = [];
  installRuntime({
    onUnhandled: (h) => {
      handler = h;
      return () => (handler = undefined);
    },
    exit: ((code: number) => void exits.push(code)) as (code: number) => never,
  });

  it("logs to the latest guard's logger and keeps running; unhooks when the last guard ends", () => {
    const first = recordingLogger();
    const second = recordingLogger();
    const endFirst = guardUnhandled(first);
    const endSecond = guardUnhandled(second);
    handler!(new Error("lost"), "rejection");
    expect(second.records.map((r) => r.message)).toEqual(["unhandled rejection: a promise nobody awaited failed; the server keeps serving"]);
    expect(first.records).toEqual([]);
    endSecond();
    handler!(new Error("thrown"), "exception");
    expect(first.records[0]?.message).toMatch(/^uncaught exception: .*; the server keeps serving$/);
    endFirst();
    expect(handler).toBeUndefined();
    expect(exits).toEqual([]);
  });

  it("with crash, logs then exits 1", () => {
    const log = recordingLogger();
    const end = guardUnhandled(log, true);
    handler!(new Error("lost"), "rejection");
    expect(log.records[0]?.message).toMatch(/exiting \(crashOnUnhandled\)$/);
    expect(exits).toEqual([1]);
    end();
  });
});
