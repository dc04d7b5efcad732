// What a Fetch-native server (Bun's, Deno's) is handed: helper responses materialised, and a streamed body
// read to its first chunk before the headers go, so a body that fails at once is a logged 500, one that fails later is logged once.

import { errorResponse } from "./errors.ts";
import { toFetchResponse } from "./responses.ts";
import type { Logger } from "./types.ts";

/** What the relay reports to: the app's logger, and its debug flag for the 500's detail. */
export interface Reporter {
  readonly logger: Logger;
  readonly debug: boolean;
}

/**
 * Logs a response that failed, once: before anything was sent (the caller answers 500) or after the headers (the
 * connection is ended without the last chunk). The same words on every adapter.
 */
export function logResponseFailure(
  app: Reporter,
  request: { method?: string | undefined; url: string },
  error: unknown,
  headersSent: boolean,
): void {
  const { method, url } = request;
  if (headersSent) app.logger.error("the response body failed after the headers were sent; the connection was ended", { method, url, error });
  else app.logger.error("request failed", { method, url, error });
}

/**
 * The native Response for `response`. A streamed body is relayed one chunk at a time (no buffering): the first chunk
 * is read before the headers are sent (a failure there answers the logged JSON 500), a later failure is logged and
 * ends the stream in error. `onEnd` learns when the response is out of the app's hands: at once for a body that
 * is not streamed, else when the stream ends, fails, or is cancelled because the client left (`clientLeft`).
 */
/**
 * For a relayed stream, whom the relay is waiting for: the app's source (a slow producer, never a stalled write) or
 * the client (a chunk was handed to the runtime). Bun arms its connection timer with it (the write timeout).
 */
export interface StreamPacing {
  waitingForApp(): void;
  waitingForClient(): void;
}

export function nativeResponse(
  app: Reporter,
  request: Request,
  response: Response,
  onEnd?: (clientLeft: boolean) => void,
  pacing?: StreamPacing,
): Response | Promise<Response> {
  const native = toFetchResponse(response);
  if (native === response && native.body !== null) return relay(app, request, native, native.body, onEnd, pacing);
  onEnd?.(false); // a helper's string body cannot fail
  return native;
}

async function relay(
  app: Reporter,
  request: Request,
  native: Response,
  source: ReadableStream<Uint8Array>,
  onEnd: ((clientLeft: boolean) => void) | undefined,
  pacing: StreamPacing | undefined,
): Promise<Response> {
  const reader = source.getReader();
  type Read = Awaited<ReturnType<typeof reader.read>>;
  let first: Read;
  try {
    first = await reader.read();
  } catch (error) {
    logResponseFailure(app, request, error, false);
    onEnd?.(false);
    return toFetchResponse(errorResponse(error, app.debug));
  }
  const init = { status: native.status, statusText: native.statusText, headers: native.headers };
  if (first.done) {
    onEnd?.(false);
    return new Response(null, init);
  }
  let pending: Uint8Array | undefined = first.value;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
          pacing?.waitingForClient();
          return;
        }
        let next: Read;
        try {
          pacing?.waitingForApp();
          next = await reader.read();
        } catch (error) {
          logResponseFailure(app, request, error, true);
          onEnd?.(false);
          // Logged once here: erroring with `undefined` makes Bun reset and Deno end the connection without the
          // chunked terminator (the client sees a truncated body), and neither prints an error of its own.
          controller.error(undefined);
          return;
        }
        if (!next.done) {
          controller.enqueue(next.value);
          pacing?.waitingForClient();
          return;
        }
        controller.close();
        onEnd?.(false);
      },
      cancel(reason) {
        onEnd?.(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, init);
}
