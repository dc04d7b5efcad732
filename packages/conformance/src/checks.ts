// A tiny test harness that runs unchanged in Node, Bun and Deno: `check(name, fn)` registers a check, `runChecks()`
// runs them in order and prints one JSON line per result. vitest starts each runtime on a check file (runtime.test.ts).

export type Runtime = "node" | "bun" | "deno";

export function currentRuntime(): Runtime {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";
}

/** Imports this runtime's adapter, which installs AsyncLocalStorage and env access into core. */
export async function installAdapter(): Promise<void> {
  const name = `@asyncview/${currentRuntime()}`;
  await import(name);
}

const checks: { name: string; fn: () => unknown }[] = [];

export function check(name: string, fn: () => unknown): void {
  checks.push({ name, fn });
}

export class CheckFailure extends Error {
  override name = "CheckFailure";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

export function assertEqual<T>(actual: T, expected: T, what = "value"): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new CheckFailure(`${what}: expected ${e}, got ${a}`);
}

/** Awaits `promise` and returns what it rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>, what = "promise"): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new CheckFailure(`${what} resolved; expected it to reject`);
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs every registered check; prints `{"check":..,"ok":..,"error"?:..}` lines, then exits 0 (the test judges). */
export async function runChecks(): Promise<void> {
  for (const { name, fn } of checks) {
    try {
      await fn();
      console.log(JSON.stringify({ check: name, ok: true }));
    } catch (error) {
      const e = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
      console.log(JSON.stringify({ check: name, ok: false, error: e }));
    }
  }
  process.exit(0);
}
