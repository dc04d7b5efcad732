// Reads a request body straight from Node's IncomingMessage, with a size limit: the one body reader of the
// Node adapter's request facade and the blocking baseline's front. No Fetch stream, no copies but the last.

import type { IncomingMessage } from "node:http";

/**
 * The whole body. Resolves null past `limit` bytes, announced (Content-Length) or streamed, at once, and keeps
 * draining what is still coming without keeping it, so a 413 can be answered. Rejects when the client leaves
 * mid-body or sends a malformed one (a client fault: core's readBytes answers it 400 and does not log it).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  // Node has parsed the headers already: refuse an announced oversize body without reading it.
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
      else if (chunks.length > 0 || size - chunk.byteLength <= limit) {
        chunks.length = 0;
        resolve(null); // answer 413 now; the listener keeps draining what is still coming
      }
    });
    req.once("end", () => {
      if (size > limit) return resolve(null);
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
    });
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new Error("the client disconnected mid-body"));
    });
  });
}
