// Words for whatever a `throw` threw: an Error's message, or the value itself (`throw "x"` and `throw null` carry no
// message), so code that reports a caught value never reads `.message` off something that has none.

/** A thrown value as a reader would write it: strings quoted, objects as JSON where they can be, the rest as `String`. */
export function formatThrown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value); // a cycle, a BigInt inside
    }
  }
  if (typeof value === "function") return `a function ${value.name || "(anonymous)"}`;
  return String(value); // null, undefined, numbers, booleans, bigints, symbols
}

/** An Error's message; for any other thrown value, `a non-Error value: <the value>`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : `a non-Error value: ${formatThrown(error)}`;
}

/** `error` when it is an Error; otherwise an Error saying `<what> threw a non-Error value: <the value>` (its cause). */
export function asError(error: unknown, what: string): Error {
  return error instanceof Error ? error : new Error(`${what} threw ${errorMessage(error)}`, { cause: error });
}
