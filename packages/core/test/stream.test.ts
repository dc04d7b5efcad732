// Unit tests for streaming responses: items arrive as pulled (backpressure), the source's `finally`
// runs when the reader cancels, and the NDJSON / SSE wire formats.

import { describe, expect, it } from "vitest";
import { ChunkEncoder, formatSse, ndjson, nextChunk, readerChunks, sse, stream, takeChunks, toReadableStream } from "../src/stream.ts";

/** A generator of "tick" forever, and whether its `finally` ran (what closing a stream must cause). */
function endlessTicks(): { source: AsyncGenerator<string>; readonly cleanedUp: boolean } {
  let cleanedUp = false;
  async function* ticks() {
    try {
      for (;;) yield "tick";
    } finally {
      cleanedUp = true;
    }
  }
  return {
    source: ticks(),
    get cleanedUp() {
      return cleanedUp;
    },
  };
}

describe("toReadableStream", () => {
  it("pulls one item per read: the generator does not run ahead of the reader", async () => {
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        produced += 1;
        yield `${i}`;
      }
    }
    const reader = toReadableStream(source(), (s) => s).getReader();
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBe(0);
    await reader.read();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBe(2);
    await reader.cancel();
  });

  it("runs the generator's finally when the reader cancels", async () => {
    const ticks = endlessTicks();
    const reader = toReadableStream(ticks.source, (s) => s).getReader();
    await reader.read();
    await reader.cancel("client left");
    expect(ticks.cleanedUp).toBe(true);
  });

  it("accepts sync iterables and bytes, skipping empty chunks", async () => {
    const res = stream(["a", new Uint8Array([98]), "", "c"]);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(await res.text()).toBe("abc");
  });

  it("errors the stream when the source throws", async () => {
    async function* source() {
      yield "ok";
      throw new Error("source broke");
    }
    await expect(stream(source()).text()).rejects.toThrow("source broke");
  });

  it("refuses a value that is not iterable", () => {
    expect(() => stream(42 as never)).toThrow(/neither AsyncIterable nor Iterable/);
  });
});

describe("ndjson", () => {
  it("writes one JSON document per line", async () => {
    async function* rows() {
      yield { i: 0 };
      yield { i: 1 };
    }
    const res = ndjson(rows(), { headers: { "x-n": "2" } });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("x-n")).toBe("2");
    expect(await res.text()).toBe('{"i":0}\n{"i":1}\n');
  });

  it("fails an item with no JSON form (undefined, a function) as json() does, never writing 'undefined'", async () => {
    for (const item of [undefined, () => 1, { toJSON: () => undefined }]) {
      const chunks = takeChunks(ndjson([{ a: 1 }, item]))!;
      expect(await nextChunk(chunks)).toBe('{"a":1}\n');
      await expect(nextChunk(chunks)).rejects.toThrow(/ndjson\(\): an item is not JSON-serialisable/);
    }
  });
});

describe("sse", () => {
  it("formats fields, JSON data and multi-line data", () => {
    expect(formatSse("hi")).toBe("data: hi\n\n");
    expect(formatSse({ event: "tick", id: "7", retry: 1500.7, data: { n: 1 } })).toBe(
      'event: tick\nid: 7\nretry: 1500\ndata: {"n":1}\n\n',
    );
    expect(formatSse({ data: "a\nb\r\nc" })).toBe("data: a\ndata: b\ndata: c\n\n");
  });

  it("refuses data with no JSON form", () => {
    expect(() => formatSse({ data: undefined })).toThrow(/sse\(\): an event's data is not JSON-serialisable/);
  });

  it("refuses CR/LF in event and id", () => {
    expect(() => formatSse({ event: "a\nb", data: 1 })).toThrow(/event must not contain/);
    expect(() => formatSse({ id: "a\rb", data: 1 })).toThrow(/id must not contain/);
  });

  it("sets the event-stream headers", async () => {
    const res = sse(["one", { data: 2 }]);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toBe("data: one\n\ndata: 2\n\n");
  });
});

describe("a stream helper's chunks for adapters (takeChunks)", () => {
  async function* rows() {
    yield { i: 0 };
    yield "";
    yield { i: 1 };
  }

  it("hands the encoded, non-empty chunks over once; a Fetch body built afterwards refuses to read them", async () => {
    const res = ndjson(rows());
    const chunks = takeChunks(res)!;
    expect(chunks).toBeDefined();
    expect(takeChunks(res)).toBeUndefined();
    expect(await nextChunk(chunks)).toBe('{"i":0}\n');
    expect(await nextChunk(chunks)).toBe('""\n');
    expect(await nextChunk(chunks)).toBe('{"i":1}\n');
    expect(await nextChunk(chunks)).toBeUndefined();
    await expect(res.text()).rejects.toThrow(/handed to the server/);
  });

  it("is not offered once the body was read through the Fetch API, nor for other responses", async () => {
    const res = stream(["a", "b"]);
    expect(await res.text()).toBe("ab");
    expect(takeChunks(res)).toBeUndefined();
    expect(takeChunks(new Response("x"))).toBeUndefined();
  });

  it("is offered when the Fetch body exists but nobody read it, and closing it runs the generator's finally", async () => {
    const ticks = endlessTicks();
    const res = stream(ticks.source);
    expect(res.body).not.toBeNull();
    const chunks = takeChunks(res)!;
    expect(await nextChunk(chunks)).toBe("tick");
    await chunks.close();
    expect(ticks.cleanedUp).toBe(true);
  });

  it("closes an iterator that is not a generator at once, even while a step waits, and only once", async () => {
    let returns = 0;
    let release: (() => void) | undefined;
    const source: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<string>>((resolve) => (release = () => resolve({ done: true, value: undefined }))),
        return: async () => {
          returns++;
          release?.(); // as events.on() does: return() ends the pending step
          return { done: true, value: undefined };
        },
      }),
    };
    const chunks = takeChunks(stream(source))!;
    const pending = nextChunk(chunks);
    await Promise.all([chunks.close(), chunks.close()]);
    expect(returns).toBe(1);
    expect(await pending).toBeUndefined();
  });

  it("reads in two halves: a step's chunk at once, a promise only past an empty chunk, undefined at the end", async () => {
    const chunks = takeChunks(ndjson(rows()))!;
    expect(chunks.chunkOf(await chunks.step())).toBe('{"i":0}\n');
    const line = chunks.chunkOf(await chunks.step()); // '""' is a line; an empty *chunk* needs stream()
    expect(line).toBe('""\n');
    const raw = takeChunks(stream(["a", "", "b"]))!;
    expect(raw.chunkOf(await raw.step())).toBe("a");
    const past = raw.chunkOf(await raw.step());
    expect(past).toBeInstanceOf(Promise);
    expect(await past).toBe("b");
    expect(raw.chunkOf(await raw.step())).toBeUndefined();
  });

  it("fails a synchronous source that throws, through nextChunk as a rejection and through step as a throw", async () => {
    const failing: Iterable<string> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error("boom");
        },
      }),
    };
    await expect(nextChunk(takeChunks(stream(failing))!)).rejects.toThrow("boom");
    const chunks = takeChunks(stream(failing))!;
    expect(() => chunks.step()).toThrow("boom");
  });

  it("fails a chunk that is neither a string nor bytes with a clear error", async () => {
    const chunks = takeChunks(stream([42 as never]))!;
    await expect(nextChunk(chunks)).rejects.toThrow(/must be a string or a Uint8Array/);
  });
});

describe("readerChunks (any Fetch body's chunks)", () => {
  it("gives the reads already made first, skips empty chunks, and ends", async () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of ["a", "", "b", "c"]) controller.enqueue(bytes(part));
        controller.close();
      },
    });
    const reader = body.getReader();
    const first = await reader.read();
    const second = reader.read();
    const chunks = readerChunks(reader, [first, second]);
    const seen: string[] = [];
    for (let chunk = await nextChunk(chunks); chunk !== undefined; chunk = await nextChunk(chunks)) {
      seen.push(new TextDecoder().decode(chunk as Uint8Array));
    }
    expect(seen).toEqual(["a", "b", "c"]);
  });
});

describe("ChunkEncoder (a relayed stream's chunks as bytes)", () => {
  const utf8 = new TextEncoder();
  // ASCII of every length around the loop's and the carving's limits, 2-, 3- and 4-byte characters, lone surrogates
  // (U+FFFD, as TextEncoder writes them) and a non-ASCII character after an ASCII run.
  const texts = [
    '{"i":0}\n',
    "",
    "x",
    ...[47, 48, 49, 127, 128, 129, 600].map((n) => "a".repeat(n)),
    "caf\u00e9\n",
    ...[127, 128, 129, 200].map((n) => "\u20ac".repeat(n)),
    "\u{1F600}".repeat(64),
    "\u{1F600} smile\n",
    "\ud800 lone, then \udfff",
    `${"b".repeat(40)}\u00e9`,
    `${"c".repeat(60)}\u00e9`,
  ];

  it("gives the bytes TextEncoder gives, for every string, in any order", () => {
    const encoder = new ChunkEncoder();
    for (let round = 0; round < 3; round++) {
      for (const text of round === 1 ? [...texts].reverse() : texts) expect(encoder.bytes(text)).toEqual(utf8.encode(text));
    }
  });

  it("never writes over a slice it handed out, and passes bytes through as they are", () => {
    const encoder = new ChunkEncoder();
    // Every kind of string, over and over: ASCII short and long, non-ASCII through either path, past the carving limit.
    const sequence = Array.from({ length: 60 }, (_, round) => texts.map((text) => `${round}${text}`)).flat();
    const given = sequence.map((text) => [text, encoder.bytes(text)] as const);
    for (const [text, bytes] of given) expect(bytes).toEqual(utf8.encode(text));
    const raw = new Uint8Array([1, 2, 3]);
    expect(encoder.bytes(raw)).toBe(raw);
  });

  it("fills its buffers: short lines share one, and a buffer is left only when the next chunk does not fit", () => {
    const encoder = new ChunkEncoder();
    const lines = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? "." : "y".repeat(127) + "\n"));
    const slices = lines.map((line) => encoder.bytes(line));
    const buffers = new Set(slices.map((bytes) => bytes.buffer));
    const bytes = slices.reduce((sum, slice) => sum + slice.byteLength, 0);
    // 1 + 128 bytes a pair: three pairs and a dot, 388 of a buffer's 512 (129, had each chunk kept room for 3 bytes a
    // character).
    expect(bytes / (buffers.size * 512)).toBeGreaterThan(0.7);
    const short = new ChunkEncoder();
    expect(new Set(Array.from({ length: 500 }, (_, i) => short.bytes(`${JSON.stringify({ i })}\n`).buffer)).size).toBeLessThan(25);
  });

  it("shares no buffer between two streams", () => {
    const a = new ChunkEncoder();
    const b = new ChunkEncoder();
    expect(a.bytes("one\n").buffer).not.toBe(b.bytes("two\n").buffer);
  });
});
