// Stream writer hot path: core's stream() and ndjson() read to the end, and nativeResponse's relay on a 100-chunk
// stream: its pull-based body (what Deno is handed), from a helper's source and from a plain ReadableStream, against the
// bare pull stream a bare server hands its runtime; its direct body's write loop (Bun's) against a bare loop writing to
// the same sink. Each op builds the Response and drains its body; ns/op is per whole stream. And the encoding of 100
// NDJSON lines alone: an ArrayBuffer each (TextEncoder) or slices of one (the relay's ChunkEncoder).

import { ndjson, silentLogger, stream, toReadableStream } from "@asyncview/core";
import { type ChunkSink, ChunkEncoder, type DirectBody, nativeResponse } from "@asyncview/core/adapter";
import type { Case } from "./timing.ts";

const CHUNKS = 100;
const chunk = "x".repeat(64) + "\n";
const items = Array.from({ length: CHUNKS }, (_, i) => ({ i, name: `item ${i}` }));
const lines = Array.from({ length: CHUNKS }, (_, i) => `${JSON.stringify({ i })}\n`);
const reporter = { logger: silentLogger, debug: false };
const request = new Request("http://127.0.0.1:8000/stream");

async function* chunks(): AsyncGenerator<string> {
  for (let i = 0; i < CHUNKS; i++) yield chunk;
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<number> {
  if (body === null) return 0;
  const reader = body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

const encoder = new TextEncoder();

/** What a bare server hands its runtime for the same stream: an async pull per chunk (the benchmark's bare servers). */
function barePull(): ReadableStream<Uint8Array> {
  const source = chunks();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
}

/** A sink that takes every write at once, as Bun's direct controller does while its buffer has room; `done` at close. */
function countingSink(done: (bytes: number) => void): ChunkSink {
  let bytes = 0;
  return {
    write(chunk) {
      bytes += chunk.length;
      return chunk.length;
    },
    close: () => done(bytes),
  };
}

/** What a bare Bun server's direct `pull` does with the same stream: a loop writing each chunk to the sink. */
async function bareDirect(): Promise<number> {
  let written = 0;
  const sink = countingSink((bytes) => (written = bytes));
  for await (const value of chunks()) sink.write(value);
  sink.close();
  return written;
}

/** nativeResponse's relay on a direct body: the runtime's body here only starts the write loop (see DirectBody). */
function relayDirect(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const direct: DirectBody = (write) => {
      write(countingSink(resolve)).catch(reject);
      return new ReadableStream<Uint8Array>();
    };
    Promise.resolve(nativeResponse(reporter, request, stream(chunks()), undefined, undefined, direct)).catch(reject);
  });
}

/** Encodes the 100 lines as one stream's chunks; the byte count keeps the work from being optimised away. */
function encodeLines(encode: (line: string) => Uint8Array): number {
  let bytes = 0;
  for (const line of lines) bytes += encode(line).byteLength;
  return bytes;
}

export const streamCases: Case[] = [
  { group: "stream", name: "encode 100 NDJSON lines, TextEncoder (an ArrayBuffer each)", run: () => encodeLines((line) => encoder.encode(line)) },
  {
    group: "stream",
    name: "encode 100 NDJSON lines, ChunkEncoder (slices of its buffer)",
    run: () => {
      const chunkEncoder = new ChunkEncoder();
      return encodeLines((line) => chunkEncoder.bytes(line));
    },
  },
  { group: "stream", name: "bare pull ReadableStream, 100 chunks (the relay's yardstick)", run: () => drain(barePull()) },
  { group: "stream", name: "stream() 100 chunks, async gen", run: () => drain(stream(chunks()).body) },
  { group: "stream", name: "ndjson() 100 objects, array", run: () => drain(ndjson(items).body) },
  {
    group: "stream",
    name: "nativeResponse relay, 100 chunks",
    run: async () => drain((await nativeResponse(reporter, request, stream(chunks()))).body),
  },
  { group: "stream", name: "bare direct loop, 100 chunks to a sink (the direct relay's yardstick)", run: bareDirect },
  { group: "stream", name: "nativeResponse relay, direct body (Bun's), 100 chunks to a sink", run: relayDirect },
  {
    group: "stream",
    name: "nativeResponse relay, plain ReadableStream 100 chunks",
    run: async () => drain((await nativeResponse(reporter, request, new Response(toReadableStream(chunks(), (c) => c)))).body),
  },
];
