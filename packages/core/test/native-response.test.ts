// Unit tests for the relay: its pacing on a runtime's direct body (Bun's), whose turn its connection timer follows,
// told only when it changes (the HTTP-level check is the conformance suite's, limits.test.ts); and what it relays.

import { describe, expect, it } from "vitest";
import { silentLogger } from "../src/logger.ts";
import { type ChunkSink, type DirectBody, nativeResponse } from "../src/native-response.ts";
import { ndjson } from "../src/stream.ts";

/**
 * Relays `n` NDJSON lines through a direct body whose sink takes a write at once unless its index is in `blocked`
 * (then the write settles a macrotask later, as a write waiting for the client does); resolves with what happened in
 * order: `w<i>` for a write, `client` / `app` for the pacing, `close`, `end`.
 */
async function paced(n: number, blocked: number[]): Promise<string[]> {
  const log: string[] = [];
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  let writes = 0;
  const sink: ChunkSink = {
    write() {
      const index = writes++;
      log.push(`w${index}`);
      return blocked.includes(index) ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : index;
    },
    close: () => void log.push("close"),
  };
  const direct: DirectBody = (write) => {
    void write(sink);
    return new ReadableStream<Uint8Array>();
  };
  async function* lines() {
    for (let i = 0; i < n; i++) yield { i };
  }
  const pacing = { waitingForApp: () => void log.push("app"), waitingForClient: () => void log.push("client") };
  const onEnd = () => {
    log.push("end");
    ended();
  };
  const request = new Request("http://localhost/stream");
  await nativeResponse({ logger: silentLogger, debug: false }, request, ndjson(lines()), onEnd, pacing, direct);
  await done;
  return log;
}

describe("the relay's pacing on a direct body", () => {
  it("tells the app's turn once when every write is taken at once", async () => {
    expect(await paced(4, [])).toEqual(["w0", "app", "w1", "w2", "w3", "close", "end"]);
  });

  it("tells the client's turn on a write that waits, and the app's before the next read", async () => {
    expect(await paced(4, [1])).toEqual(["w0", "app", "w1", "client", "app", "w2", "w3", "close", "end"]);
    expect(await paced(3, [0, 1, 2])).toEqual(["w0", "client", "app", "w1", "client", "app", "w2", "client", "app", "close", "end"]);
  });
});

describe("what the relay hands a runtime", () => {
  it("never an empty chunk, not even as a view's own body's first (it would end a chunked body)", async () => {
    const bytes = new TextEncoder();
    let pulls = 0;
    const own = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++;
        if (pulls === 1) return controller.enqueue(new Uint8Array(0)); // at once: the relay reads on for a second
        await new Promise((resolve) => setTimeout(resolve, 5)); // still producing: relayed, not answered whole
        if (pulls === 2) controller.enqueue(bytes.encode("b"));
        else controller.close();
      },
    });
    const request = new Request("http://localhost/own");
    const native = await nativeResponse({ logger: silentLogger, debug: false }, request, new Response(own));
    const reader = native.body!.getReader();
    const chunks: string[] = [];
    for (let step = await reader.read(); !step.done; step = await reader.read()) chunks.push(new TextDecoder().decode(step.value));
    expect(chunks).toEqual(["b"]);
  });
});
