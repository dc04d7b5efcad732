// The messages the cross-process test sends through Redis, and how a process prints one it received (one JSON
// line), so the test compares what each runtime got with what was sent, type included.

import type { SocketMessage } from "@asyncview/core";

export const MESSAGES: SocketMessage[] = [
  "hello",
  "",
  "héllo ✓ 😀",
  "b looks like the binary tag",
  new Uint8Array(0),
  Uint8Array.from({ length: 256 }, (_, i) => i),
  new TextEncoder().encode("t looks like the text tag"),
  Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) % 251),
];

export type Printed = { text: string } | { binary: string; prototype: string };

/** A message as a JSON-ready value: text as is, binary as base64 with the class it arrived as. */
export function printable(message: SocketMessage): Printed {
  if (typeof message === "string") return { text: message };
  return { binary: btoa(Array.from(message, (b) => String.fromCharCode(b)).join("")), prototype: Object.getPrototypeOf(message).constructor.name };
}
