// Errors nobody handled (a promise nobody awaited that rejects, a timer callback that throws): logged with the request
// id, and the server keeps serving (asyncio's "Task exception was never retrieved"), unless crash-on-unhandled is set.

import { runtimeServices } from "./runtime.ts";
import type { Logger } from "./types.ts";

/** What went unhandled: a rejected promise nobody awaited, or an exception thrown where nothing could catch it. */
export type UnhandledKind = "rejection" | "exception";

/**
 * A runtime's hook (installed with `installRuntime`): calls `handler` for every error nobody handled, instead of the
 * runtime's default (ending the process), until the returned function unsubscribes.
 */
export type UnhandledHook = (handler: (error: unknown, kind: UnhandledKind) => void) => () => void;

/** The part of Node's and Bun's `process` their hook uses. */
export interface ProcessEvents {
  on(event: "unhandledRejection" | "uncaughtException", listener: (error: unknown) => void): unknown;
  off(event: "unhandledRejection" | "uncaughtException", listener: (error: unknown) => void): unknown;
  exit(code: number): never;
}

/** The hook and exit of a runtime with Node's `process` events (Node, Bun, a Node worker thread). */
export function processHooks(events: ProcessEvents): { onUnhandled: UnhandledHook; exit: (code: number) => never } {
  return {
    onUnhandled(handler) {
      const rejection = (error: unknown) => handler(error, "rejection");
      const exception = (error: unknown) => handler(error, "exception");
      events.on("unhandledRejection", rejection);
      events.on("uncaughtException", exception);
      return () => {
        events.off("unhandledRejection", rejection);
        events.off("uncaughtException", exception);
      };
    },
    exit: (code) => events.exit(code),
  };
}

/** The part of a Web global (`globalThis` on Deno) its hook uses: the `unhandledrejection` and `error` events. */
export interface GlobalEvents {
  addEventListener(type: "unhandledrejection" | "error", listener: (event: Event) => void): void;
  removeEventListener(type: "unhandledrejection" | "error", listener: (event: Event) => void): void;
}

/**
 * The hook of a runtime that dispatches errors nobody handled as Web events on its global (Deno):
 * `preventDefault()` keeps the process running, as a Node listener does.
 */
export function globalEventHooks(target: GlobalEvents): { onUnhandled: UnhandledHook } {
  return {
    onUnhandled(handler) {
      const rejection = (event: Event) => {
        event.preventDefault();
        handler((event as PromiseRejectionEvent).reason, "rejection");
      };
      const exception = (event: Event) => {
        event.preventDefault();
        handler((event as ErrorEvent).error, "exception");
      };
      target.addEventListener("unhandledrejection", rejection);
      target.addEventListener("error", exception);
      return () => {
        target.removeEventListener("unhandledrejection", rejection);
        target.removeEventListener("error", exception);
      };
    },
  };
}

const WHAT: Record<UnhandledKind, string> = {
  rejection: "unhandled rejection: a promise nobody awaited failed",
  exception: "uncaught exception: thrown where nothing could catch it (a timer or event callback)",
};

interface Guard {
  readonly logger: Logger;
  readonly crash: boolean;
}

/** The servers of this process (or thread) that are guarding, latest last; the runtime hook is on while any is. */
const guards: Guard[] = [];
let unsubscribe: (() => void) | undefined;

function report(error: unknown, kind: UnhandledKind): void {
  const { logger } = guards[guards.length - 1]!;
  if (!guards.some((guard) => guard.crash)) {
    logger.error(`${WHAT[kind]}; the server keeps serving`, { error });
    return;
  }
  logger.error(`${WHAT[kind]}; exiting (crashOnUnhandled)`, { error });
  runtimeServices().exit?.(1);
}

/**
 * Until the returned function is called, errors nobody handled are logged to `logger` (the latest guard's, when
 * several servers share a process) and the process keeps running; with `crash`, logged, then the process exits 1.
 * Without a runtime hook installed, nothing changes.
 */
export function guardUnhandled(logger: Logger, crash = false): () => void {
  const hook = runtimeServices().onUnhandled;
  if (!hook) return () => {};
  const guard: Guard = { logger, crash };
  guards.push(guard);
  unsubscribe ??= hook(report);
  return () => {
    const at = guards.indexOf(guard);
    if (at !== -1) guards.splice(at, 1);
    if (guards.length === 0) {
      unsubscribe?.();
      unsubscribe = undefined;
    }
  };
}
