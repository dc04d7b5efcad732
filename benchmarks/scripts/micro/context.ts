// The request scope's own price on each runtime: one awaited async step, bare and inside one AsyncLocalStorage.run
// (what core's per-request scope is). On Deno each run also adds a WeakMap entry, which the young-generation GC pays for.

import { AsyncLocalStorage } from "node:async_hooks";
import type { Case } from "./timing.ts";

const storage = new AsyncLocalStorage<{ request: Request }>();
const request = new Request("http://127.0.0.1:8000/hello");
const step = async (): Promise<void> => {
  await null;
};

export const contextCases: Case[] = [
  { group: "context", name: "async step, no scope", run: step },
  { group: "context", name: "async step in AsyncLocalStorage.run", run: () => storage.run({ request }, step) },
];
