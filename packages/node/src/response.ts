// Writes a Fetch Response to Node's ServerResponse: status, headers (several Set-Cookie kept apart), body.
// Helper bodies are written in one piece; streamed ones by one writer, from a stream helper's source or any body's
// reader, chunk by chunk, waiting for 'drain' (backpressure).

import type { ServerResponse } from "node:http";
import type { Chunk } from "@asyncview/core";
import { BODY_TEXT, type ChunkSource, hasHeader, headerPairs, nextChunk, readerChunks, takeChunks } from "@asyncview/core/adapter";
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
 * (then the close lingers: see body.ts). A helper's text goes out in one piece; a stream helper's chunks straight from
 * its source; any other body through its reader (see writeChunks).
 */
export function writeResponse(res: ServerResponse, response: Response, closeConnection: boolean): void | Promise<void> {
  const headers = headerList(res, response, closeConnection);
  const statusText = response.statusText || undefined;
  const helperBody = (response as unknown as Record<symbol, string | undefined>)[BODY_TEXT];
  if (helperBody !== undefined) {
    if (!hasHeader(headers, "content-length")) headers.push("content-length", String(Buffer.byteLength(helperBody)));
    res.writeHead(response.status, statusText, headers);
    res.end(helperBody);
    return;
  }
  const head: Head = { status: response.status, statusText, headers };
  const chunks = takeChunks(response);
  if (chunks !== undefined) return writeChunks(res, head, chunks, false);
  const body = response.body;
  if (body === null) {
    res.writeHead(head.status, statusText, headers);
    res.end();
    return;
  }
  return writeChunks(res, head, readerChunks(body), true);
}

interface Head {
  status: number;
  statusText: string | undefined;
  headers: string[];
}

/**
 * Writes a body's chunks to `res` as they come: the first is awaited before the headers (a source that fails at once
 * is the caller's 500), each next one asked for only once the socket took this one (backpressure reaches the
 * generator). With `lengthWhenComplete`, a body that ends within the macrotask of its first chunk (a Response made
 * from a string or bytes) goes out in one piece with a Content-Length; otherwise it is chunked. Resolves when the last
 * chunk is handed to the socket, or as soon as the client leaves (the source is then closed, so a generator's
 * `finally` runs, even if it is stuck in an await that never ends). Rejects when the source fails: before the headers
 * (the caller answers 500), or after them, once the connection has been ended without the last chunk, so the client
 * sees a truncated body, never a clean end.
 */
function writeChunks(res: ServerResponse, head: Head, chunks: ChunkSource, lengthWhenComplete: boolean): Promise<void> {
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
      let chunk = await nextChunk(chunks);
      if (chunk === undefined) {
        // Ended without a byte: an empty body, sent as one (Content-Length: 0), as the other adapters send it.
        if (!hasHeader(head.headers, "content-length")) head.headers.push("content-length", "0");
        res.writeHead(head.status, head.statusText, head.headers);
        res.end();
        return;
      }
      let pending: Promise<Chunk | undefined> | undefined;
      if (lengthWhenComplete) {
        pending = nextChunk(chunks);
        if ((await Promise.race([pending, nextMacrotask()])) === undefined) {
          if (!hasHeader(head.headers, "content-length")) head.headers.push("content-length", String(Buffer.byteLength(chunk)));
          res.writeHead(head.status, head.statusText, head.headers);
          res.end(chunk);
          return;
        }
      }
      res.writeHead(head.status, head.statusText, head.headers);
      while (chunk !== undefined) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await waitForDrain(res);
        if (pending === undefined) {
          const read = chunks.chunkOf(await chunks.step());
          chunk = read instanceof Promise ? await read : read;
        } else chunk = await pending;
        pending = undefined;
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
