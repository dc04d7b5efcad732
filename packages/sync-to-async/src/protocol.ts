// Messages between a syncToAsync caller and a pool thread: one call out, one result or error back.

export interface CallMessage {
  id: number;
  /** file: URL of the module holding the function. */
  module: string;
  exportName: string;
  args: unknown[];
  /** ContextVar values by name, set around the call in the thread (when the caller asked for context). */
  context: Record<string, unknown> | undefined;
}

export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
}

export type ResultMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };
