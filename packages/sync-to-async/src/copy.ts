// A call's arguments and result cross threads as copies (structured clone); when one cannot be copied, the error
// says which call, which argument, where in it and what it is: `syncToAsync(db.ts#getUser): argument 1 cannot be...`.

import type { CallMessage } from "./protocol.ts";

/** How errors name a call: `syncToAsync(db.ts#getUser)`. */
export function callName(module: string, exportName: string): string {
  return `syncToAsync(${module.slice(module.lastIndexOf("/") + 1)}#${exportName})`;
}

/** The error for a call that could not be sent to a thread because of `error`. */
export function uncopyableCall(call: CallMessage, error: unknown): DOMException {
  const name = callName(call.module, call.exportName);
  for (const [i, arg] of call.args.entries()) {
    const found = uncopyablePart(arg, `argument ${i + 1}`);
    if (found) return cloneError(`${name}: argument ${i + 1} cannot be copied to a worker thread: ${found}`, error);
  }
  for (const [variable, value] of Object.entries(call.context ?? {})) {
    const found = uncopyablePart(value, `ContextVar ${variable}`);
    if (found) return cloneError(`${name}: ContextVar ${variable} cannot be copied to a worker thread: ${found}`, error);
  }
  return cloneError(`${name}: the call could not be sent to a worker thread`, error);
}

/** The error for a result that could not be sent back because of `error`. */
export function uncopyableResult(module: string, exportName: string, value: unknown, error: unknown): DOMException {
  const found = uncopyablePart(value, "the result") ?? "the result";
  return cloneError(`${callName(module, exportName)}: the result cannot be copied from the worker thread: ${found}`, error);
}

/**
 * `args` and then the function's result copied, as a pool thread would get and give them: in a blocking-baseline
 * thread the call runs inline, and copying keeps its behaviour the same as on the event-loop adapters.
 */
export async function callCopied(module: string, exportName: string, args: unknown[], call: (args: unknown[]) => Promise<unknown>): Promise<unknown> {
  let copied: unknown[];
  try {
    copied = structuredClone(args);
  } catch (error) {
    throw uncopyableCall({ id: 0, module, exportName, args, context: undefined }, error);
  }
  const value = await call(copied);
  try {
    return structuredClone(value);
  } catch (error) {
    throw uncopyableResult(module, exportName, value, error);
  }
}

function cloneError(message: string, error: unknown): DOMException {
  const detail = error instanceof Error ? error.message : String(error);
  return new DOMException(`${message} (${detail})`, "DataCloneError");
}

/** "argument 2.db is a Database" for the first part of `value` that cannot be copied; undefined when all can. */
function uncopyablePart(value: unknown, path: string, seen = new Set<object>()): string | undefined {
  try {
    structuredClone(value);
    return undefined;
  } catch {
    // Look inside plain objects and arrays for the part to blame; anything else is itself the culprit.
  }
  if (typeof value === "object" && value !== null && !seen.has(value)) {
    seen.add(value);
    const array = Array.isArray(value);
    if (array || Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, child] of Object.entries(value)) {
        const found = uncopyablePart(child, array ? `${path}[${key}]` : `${path}.${key}`, seen);
        if (found) return found;
      }
    }
  }
  return `${path} is ${kind(value)}`;
}

function kind(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "object" && value !== null) return `a ${value.constructor?.name ?? "object"}`;
  return typeof value;
}
