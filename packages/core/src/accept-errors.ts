// Errors accepting a connection (out of file descriptors: EMFILE, ENFILE) logged once per burst, not per connection.
// Every adapter reports them here; the server keeps serving the connections it has and accepts again when it can.

import type { Logger } from "./types.ts";

/** How long without a new accept error ends a burst, in ms: the next error after that is logged again. */
export const ACCEPT_BURST_QUIET_MS = 5000;

/** The error's code (`EMFILE`), or its message when it has none (Deno: "Too many open files (os error 24)"). */
function errorCode(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== "string") return String(message ?? error);
  return typeof message === "string" && !message.includes(code) ? `${code} (${message})` : code;
}

/** True for an accept error that means the process (or system) ran out of file descriptors. */
export function outOfFiles(error: unknown): boolean {
  return /EMFILE|ENFILE|too many open files|os error 2[34]\b/i.test(errorCode(error));
}

/**
 * A reporter for accept errors: the first of a burst is logged as an error, the rest are counted; once none came
 * for {@link ACCEPT_BURST_QUIET_MS}, one line says how many there were. Its timer never keeps the process alive.
 */
export function acceptErrorReporter(logger: Logger, quietMs = ACCEPT_BURST_QUIET_MS): (error: unknown) => void {
  let count = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = () => {
    logger.info("accepting connections again", { acceptErrors: count });
    count = 0;
    timer = undefined;
  };
  return (error) => {
    if (count++ === 0) {
      const code = errorCode(error);
      logger.error(`cannot accept connections: ${code}; serving the open connections and accepting again when it can`, {
        code,
        ...(outOfFiles(error) ? { hint: "out of file descriptors: raise `ulimit -n` or lower the connections per process" } : {}),
      });
    }
    clearTimeout(timer);
    timer = setTimeout(end, quietMs);
    (timer as { unref?: () => void }).unref?.();
  };
}
