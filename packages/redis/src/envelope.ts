// How a room message travels through Redis: Redis carries bytes only, so one leading byte says whether the rest is
// UTF-8 text or binary, and a text message arrives as a string and a binary one as bytes in every process.

import { Buffer } from "node:buffer";
import type { SocketMessage } from "@asyncview/core";

const TEXT = 0x74; // "t"
const BINARY = 0x62; // "b"

/** The bytes published to Redis for `message`. */
export function encode(message: SocketMessage): Buffer {
  if (typeof message === "string") {
    const body = Buffer.from(message, "utf8");
    const out = Buffer.allocUnsafe(body.length + 1);
    out[0] = TEXT;
    body.copy(out, 1);
    return out;
  }
  const out = Buffer.allocUnsafe(message.byteLength + 1);
  out[0] = BINARY;
  out.set(message, 1);
  return out;
}

/** The message `bytes` carry, or undefined when they are not an envelope (something else published on the channel). */
export function decode(bytes: Buffer): SocketMessage | undefined {
  if (bytes[0] === TEXT) return bytes.toString("utf8", 1);
  // A plain Uint8Array copy, as a binary message is on the in-process layer (not a Buffer sharing Redis's read buffer).
  if (bytes[0] === BINARY) return new Uint8Array(bytes.subarray(1));
  return undefined;
}
