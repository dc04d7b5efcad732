// Writes a Fetch Response to Node's ServerResponse: status, headers (several Set-Cookie kept apart), body.
// Helper bodies are written in one piece; a stream helper's chunks straight from its source, other streams through
// their reader, chunk by chunk, waiting for 'drain' (backpressure).

import type { ServerResponse } from "node:http";
import { BODY_TEXT, type ChunkSource, hasHeader, headerPairs, takeChunks } from "@asyncview/core/adapter";
import { closeForUnreadBody } from "./body.ts";

function headerList(res: ServerResponse, response: Response, closeConnection: boolean): string[] {
  const flat = headerPairs(response);
  // `||` in this order: a body still arriving always closes (lingering), whatever the caller asked.
  if (closeForUnreadBody(res) || closeConnection) flat.push("connection", "close");
  return flat;
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function nextMacrotask(): Promise<null> {
  return new Promise((resolve) => setImmediate(resolve, null));
}

/**
 * Sends `response`, with `Connection: close` when `closeConnection` or when the request body is still arriving
 * (then the close lingers: see body.ts). Resolves when the last byte is handed to the socket or the client went away; in the latter
 * case the body stream is cancelled so its source (a generator's `finally`) is closed. Rejects when the body
 * fails: before anything was sent (the caller answers 500), or after the headers, when the connection has been
 * ended without the last chunk so the client sees a truncated body, never a clean end.
 */
export function writeResponse(res: ServerResponse, response: Response, closeConnection: boolean): void | Promise<void> {
  const headers = headerList(res, response, closeConnection);
  const helperBody = (response as unknown as Record<symbol, string | undefined>)[BODY_TEXT];
  if (helperBody !== undefined) {
    if (!hasHeader(headers, "content-length")) headers.push("content-length", String(Buffer.byteLength(helperBody)));
    res.writeHead(response.status, response.statusText || undefined, headers);
    res.end(helperBody);
    return;
  }
  const chunks = takeChunks(response);
  if (chunks !== undefined) return writeChunks(res, response.status, headers, chunks);
  const body = response.body;
  if (body === null) {
    res.writeHead(response.status, response.statusText || undefined, headers);
    res.end();
    return;
  }
  return writeStream(res, response, body, headers);
}

/**
 * Writes a stream helper's chunks straight to `res` (no web stream, no Fetch Response): the first chunk is awaited
 * before the headers (a source that fails at once is the caller's 500), then each chunk is written as it comes, the
 * next asked for only once the socket took this one (backpressure reaches the generator). Resolves when the last
 * chunk is handed to the socket, or as soon as the client leaves (the source is then closed, so a generator's
 * `finally` runs, even if it is stuck in an await that never ends). Rejects when the source fails, as writeStream.
 */
function writeChunks(res: ServerResponse, status: number, headers: string[], chunks: ChunkSource): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let open = true;
    const onClose = () => {
      if (res.writableFinished || !open) return;
      open = false;
      chunks.close(new Error("client disconnected")).catch(() => {});
      resolve();
    };
    res.once("close", onClose);
    const pump = async (): Promise<void> => {
      let chunk = await chunks.next();
      res.writeHead(status, undefined, headers);
      while (chunk !== undefined) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await waitForDrain(res);
        chunk = await chunks.next();
      }
      res.end();
    };
    pump().then(
      () => {
        res.off("close", onClose);
        if (res.destroyed) onClose(); // a close that came while the last chunk was awaited
        resolve();
      },
      (error: unknown) => {
        open = false;
        res.off("close", onClose);
        chunks.close().catch(() => {}); // a failed write left the source open (a failed source is closed already)
        if (res.destroyed) return resolve(); // the client left (its source failed on the abort): nobody to tell
        // After the headers: end the connection without the chunked terminator (what was written still arrives).
        if (res.headersSent) res.socket?.end();
        reject(error);
      },
    );
  });
}

async function writeStream(
  res: ServerResponse,
  response: Response,
  body: ReadableStream<Uint8Array>,
  headers: string[],
): Promise<void> {
  const reader = body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel(new Error("client disconnected")).catch(() => {});
  };
  res.once("close", onClose);
  try {
    const first = await reader.read();
    if (first.done) {
      res.writeHead(response.status, response.statusText || undefined, headers);
      res.end();
      return;
    }
    // A body that is complete at once (a Response built from a string or bytes) goes out with a
    // Content-Length; a stream that is still producing starts flowing now, chunk by chunk.
    const pending = reader.read();
    const second = await Promise.race([pending, nextMacrotask()]);
    if (second !== null && second.done) {
      if (!hasHeader(headers, "content-length")) headers.push("content-length", String(first.value.byteLength));
      res.writeHead(response.status, response.statusText || undefined, headers);
      res.end(first.value);
      return;
    }
    res.writeHead(response.status, response.statusText || undefined, headers);
    type ReadResult = Awaited<ReturnType<typeof reader.read>>;
    let chunk: ReadResult = first;
    let next: Promise<ReadResult> | null = second === null ? pending : Promise.resolve(second);
    for (;;) {
      if (res.destroyed) return;
      // Ask the source for more only once the socket took this chunk (backpressure reaches the generator).
      if (!res.write(chunk.value)) await waitForDrain(res);
      chunk = await (next ?? reader.read());
      next = null;
      if (chunk.done) break;
    }
    res.end();
  } catch (error) {
    if (res.destroyed) return; // the client left (its read was cancelled): nobody to tell, nothing to report
    // After the headers: end the connection without the chunked terminator (what was written still arrives).
    if (res.headersSent) res.socket?.end();
    throw error;
  } finally {
    res.off("close", onClose);
    try {
      reader.releaseLock();
    } catch {
      // a read was still pending after a disconnect; the stream is cancelled already
    }
  }
}
