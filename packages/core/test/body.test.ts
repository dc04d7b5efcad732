// Unit tests for request body reading: size limits (declared and streamed), UTF-8 and JSON errors.

import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT, readBytes, readJson, readText } from "../src/body.ts";
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
