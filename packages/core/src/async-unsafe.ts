// asyncUnsafe(fn): marks a function as blocking. Called on an event loop it throws (Django's
// SynchronousOnlyOperation); inside a syncToAsync worker or a blocking-baseline thread it just runs.

import { env, runtimeServices } from "./runtime.ts";

/** The environment variable that allows blocking calls on the event loop anyway (DJANGO_ALLOW_ASYNC_UNSAFE's analog). */
export const ALLOW_ASYNC_UNSAFE = "ASYNCVIEW_ALLOW_ASYNC_UNSAFE";

export class SynchronousOnlyError extends Error {
  override name = "SynchronousOnlyError";
}

/** Whether a blocking call may run here: in a blocking thread, or when the environment allows it. */
export function blockingAllowed(): boolean {
  if (runtimeServices().blockingAllowed) return true;
  const allowed = env(ALLOW_ASYNC_UNSAFE);
  return allowed !== undefined && allowed !== "" && allowed !== "0" && allowed !== "false";
}

/** Wraps `fn` so that calling it on an event loop throws a SynchronousOnlyError naming it and the fix. */
export function asyncUnsafe<A extends unknown[], R>(fn: (...args: A) => R, name = fn.name || "this function"): (...args: A) => R {
  return (...args: A): R => {
    if (!blockingAllowed()) {
      throw new SynchronousOnlyError(
        `${name} blocks and must not be called on the event loop: run it through syncToAsync ` +
          `(or set ${ALLOW_ASYNC_UNSAFE}=1 if you accept stalling every other request)`,
      );
    }
    return fn(...args);
  };
}
