// Reads a request body in full on the main thread, into one ArrayBuffer of its own (so it can be transferred).
// Past `limit` bytes it stops reading and reports "too large"; a client that leaves mid-body gives "gone".

import type { IncomingMessage } from "node:http";

export type BodyResult = ArrayBuffer | "too-large" | "gone";

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.pause();
        finish("too-large");
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      // Node pools small Buffers: copy into a fresh ArrayBuffer so transferring it detaches nothing else.
      const out = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      finish(out.buffer);
    };
    const onGone = () => finish("gone");
    const onClose = () => {
      if (!req.complete) finish("gone");
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onClose);
  });
}
