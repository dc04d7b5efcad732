// Unit tests for request body reading: size limits (declared and streamed), UTF-8 and JSON errors,
// and the JSON nesting limit (checked by a scan of the text before JSON.parse).

import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT, DEFAULT_JSON_MAX_DEPTH, readBytes, readJson, readText } from "../src/body.ts";
import { HttpError } from "../src/errors.ts";
import { req } from "./helpers.ts";

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error("expected an HttpError");
}

/** A body stream of `chunks` chunks of `size` bytes, with no content-length. */
function chunked(chunks: number, size: number): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === chunks) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(120));
    },
  });
  return req("/", { method: "POST", body, duplex: "half" } as RequestInit);
}

describe("readJson", () => {
  it("parses a JSON body", async () => {
    expect(await readJson(req("/", { method: "POST", body: '{"a":[1,"ü"]}' }))).toEqual({ a: [1, "ü"] });
  });

  it("gives 400 bad_json naming the parse error", async () => {
    const error = await failure(readJson(req("/", { method: "POST", body: '{"a":' })));
    expect(error.status).toBe(400);
    expect(error.code).toBe("bad_json");
    expect(error.message).toBe("malformed JSON body (5 characters): expected one JSON document");
  });

  it("gives 400 for an empty body", async () => {
    const error = await failure(readJson(req("/", { method: "POST", body: "  " })));
    expect(error.message).toMatch(/empty/);
    expect((await failure(readJson(req("/")))).status).toBe(400);
  });
});

describe("limits", () => {
  it("defaults to 1 MiB", () => {
    expect(DEFAULT_BODY_LIMIT).toBe(1_048_576);
  });

  it("refuses a declared content-length over the limit before reading", async () => {
    const request = req("/", { method: "POST", body: "x".repeat(11), headers: { "content-length": "11" } });
    const error = await failure(readBytes(request, { limit: 10 }));
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ limit: 10 });
  });

  it("refuses a streamed body once it passes the limit", async () => {
    const error = await failure(readBytes(chunked(5, 1000), { limit: 4500 }));
    expect(error.status).toBe(413);
    expect(error.code).toBe("payload_too_large");
  });

  it("accepts a body exactly at the limit, joined from several chunks", async () => {
    const bytes = await readBytes(chunked(4, 1000), { limit: 4000 });
    expect(bytes.byteLength).toBe(4000);
    expect(bytes.every((b) => b === 120)).toBe(true);
  });
});

describe("readText", () => {
  it("refuses invalid UTF-8 with 400", async () => {
    const error = await failure(readText(req("/", { method: "POST", body: new Uint8Array([0xff, 0xfe]) })));
    expect(error.status).toBe(400);
    expect(error.code).toBe("bad_encoding");
  });
});

/** `depth` arrays inside each other around `inner`: `[[[inner]]]`. */
function nested(depth: number, inner = ""): string {
  return "[".repeat(depth) + inner + "]".repeat(depth);
}

function post(body: string): Request {
  return req("/", { method: "POST", body });
}

describe("readJson nesting limit", () => {
  it("defaults to 100 levels", () => {
    expect(DEFAULT_JSON_MAX_DEPTH).toBe(100);
  });

  it("accepts a body exactly at the default limit and refuses one level more with 400 json_too_deep", async () => {
    const atLimit = await readJson(post(nested(100, "7")));
    let value: unknown = atLimit;
    for (let i = 0; i < 100; i++) value = (value as unknown[])[0];
    expect(value).toBe(7);

    const error = await failure(readJson(post(nested(101, "7"))));
    expect(error.status).toBe(400);
    expect(error.code).toBe("json_too_deep");
    expect(error.message).toMatch(/nesting deeper than 100 levels/);
    expect(error.details).toEqual({ maxDepth: 100 });
  });

  it("counts objects and arrays alike, and a scalar is depth 0", async () => {
    const objects = (depth: number) => '{"a":'.repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
    expect(await readJson(post(objects(3)), { maxDepth: 3 })).toEqual({ a: { a: {} } });
    expect((await failure(readJson(post(objects(4)), { maxDepth: 3 }))).code).toBe("json_too_deep");
    expect((await failure(readJson(post('[{"a":[{}]}]'), { maxDepth: 3 }))).code).toBe("json_too_deep");
    expect(await readJson(post('[{"a":[1]},{"b":{}},[[]]]'), { maxDepth: 3 })).toEqual([{ a: [1] }, { b: {} }, [[]]]);
    expect(await readJson(post('"just a string"'), { maxDepth: 0 })).toBe("just a string");
    expect((await failure(readJson(post("[]"), { maxDepth: 0 }))).details).toEqual({ maxDepth: 0 });
  });

  it("honours a smaller or larger maxDepth", async () => {
    expect(await readJson(post(nested(5)), { maxDepth: 5 })).toEqual([[[[[]]]]]);
    const error = await failure(readJson(post(nested(6)), { maxDepth: 5 }));
    expect(error.code).toBe("json_too_deep");
    expect(error.message).toMatch(/nesting deeper than 5 levels/);
    expect(error.details).toEqual({ maxDepth: 5 });
    expect(await readJson(post(nested(500)), { maxDepth: 500 })).toBeInstanceOf(Array);
  });

  it("does not count brackets inside strings", async () => {
    const body = JSON.stringify({ s: "[".repeat(1000) + "{".repeat(1000), t: ["]]]}}}"] });
    expect(await readJson(post(body), { maxDepth: 2 })).toEqual(JSON.parse(body));
  });

  it("honours escaped quotes and backslashes inside strings", async () => {
    // An escaped quote does not end the string, so the brackets after it are still inside it.
    const escapedQuote = String.raw`["a \" [[[[ \" {{{{", "x\\"]`;
    expect(await readJson(post(escapedQuote), { maxDepth: 1 })).toEqual(["a \" [[[[ \" {{{{", "x\\"]);
    // An escaped backslash right before the closing quote: the string ends there, and the brackets after it count.
    const afterBackslash = String.raw`["\\", [[1]]]`;
    expect(await readJson(post(afterBackslash), { maxDepth: 3 })).toEqual(["\\", [[1]]]);
    expect((await failure(readJson(post(afterBackslash), { maxDepth: 2 }))).code).toBe("json_too_deep");
    // Escaped quote, then escaped backslash, then the closing quote: a scan that ignored escapes (or handled only one
    // kind) would end or stay in the string at the wrong place and count the wrong brackets.
    const mixed = String.raw`["q\"b\\", "[[[[", ` + nested(3) + "]";
    expect(await readJson(post(mixed), { maxDepth: 4 })).toEqual(["q\"b\\", "[[[[", [[[]]]]);
    expect((await failure(readJson(post(mixed), { maxDepth: 3 }))).code).toBe("json_too_deep");
    // Runs of backslashes: three escaped backslashes then an escaped quote stay inside the string; four then a quote end it.
    const oddRun = String.raw`["\\\\\\\"[[[", [[1]]]`;
    expect(await readJson(post(oddRun), { maxDepth: 3 })).toEqual(['\\\\\\"[[[', [[1]]]);
    const evenRun = String.raw`["\\\\\\\\", [[1]]]`;
    expect(await readJson(post(evenRun), { maxDepth: 3 })).toEqual(["\\\\\\\\", [[1]]]);
    expect((await failure(readJson(post(evenRun), { maxDepth: 2 }))).code).toBe("json_too_deep");
    // An unterminated string is malformed JSON, not a nesting problem.
    expect((await failure(readJson(post('["abc\\" [[[['), { maxDepth: 2 }))).code).toBe("bad_json");
  });

  it("refuses 100,000-deep JSON with a 400 quickly, arrays or objects, balanced or not", async () => {
    const started = performance.now();
    for (const body of [nested(100_000), '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000), "[".repeat(100_000)]) {
      const error = await failure(readJson(post(body)));
      expect(error.status).toBe(400);
      expect(error.code).toBe("json_too_deep");
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("cannot be fooled by closing brackets first", async () => {
    const error = await failure(readJson(post("]".repeat(50_000) + nested(50_000))));
    expect(error.code).toBe("json_too_deep");
  });

  it("still reports malformed JSON within the limit as bad_json", async () => {
    expect((await failure(readJson(post("[[[1,]]]")))).code).toBe("bad_json");
    expect((await failure(readJson(post('["unterminated [[[[')))).code).toBe("bad_json");
  });

  it("has no limit with maxDepth: Infinity", async () => {
    expect(await readJson(post(nested(1_000)), { maxDepth: Infinity })).toBeInstanceOf(Array);
  });

  it("refuses a maxDepth that is not a whole number", async () => {
    await expect(readJson(post("[]"), { maxDepth: -1 })).rejects.toThrow(TypeError);
    await expect(readJson(post("[]"), { maxDepth: 1.5 })).rejects.toThrow(TypeError);
    await expect(readJson(post("[]"), { maxDepth: Number.NaN })).rejects.toThrow(TypeError);
  });
});
