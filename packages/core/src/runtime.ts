// Services a runtime adapter installs into core so runtime-neutral code can use them: AsyncLocalStorage (node:async_hooks
// in Node, Bun and Deno), environment variables, the hook for errors nobody handled, exit. Core never imports them.

import type { UnhandledHook } from "./unhandled.ts";

/** The part of AsyncLocalStorage core uses. */
export interface AsyncStorage<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}

export interface RuntimeServices {
  /** `AsyncLocalStorage` from node:async_hooks; enables ContextVar, request ids in logs, context in tasks. */
  AsyncLocalStorage?: new () => AsyncStorage<unknown>;
  /** Reads an environment variable from the runtime's own environment API. */
  env?: (name: string) => string | undefined;
  /** True inside a thread where blocking is the point (a syncToAsync worker, a blocking-baseline thread). */
  blockingAllowed?: boolean;
  /** Hooks errors nobody handled (see `guardUnhandled`), in place of the runtime's default of ending the process. */
  onUnhandled?: UnhandledHook;
  /** Ends the process (or, in a worker thread, the thread) with `code`: crash-on-unhandled. */
  exit?: (code: number) => never;
  /** Writes text to the process's standard output as it is (the access log's sink); console.log when absent. */
  stdout?: (text: string) => void;
}

/** Set in a worker process's environment to its index (0..workers-1) by the `workers` supervisor (supervisor.ts). */
export const WORKER_ENV = "ASYNCVIEW_WORKER";

const services: RuntimeServices = {};

/** Called by adapters (and worker-thread bootstraps) at import; later calls add to or override earlier ones. */
export function installRuntime(installed: RuntimeServices): void {
  Object.assign(services, installed);
}

export function runtimeServices(): Readonly<RuntimeServices> {
  return services;
}

/** An environment variable through the installed reader; undefined when none is installed. */
export function env(name: string): string | undefined {
  return services.env?.(name);
}
