// Reading request bodies with a size limit: bytes, text and JSON.
// Too large gives 413, malformed JSON or UTF-8 gives 400, each with a JSON body that names the problem.

import { HttpError } from "./errors.ts";

/** Default request body limit: 1 MiB (Hono's and Express's defaults are 100 KiB-1 MiB; Django's is 2.5 MB). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface BodyOptions {
  /** Maximum body size in bytes. Default {@link DEFAULT_BODY_LIMIT}. */
  limit?: number;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body exceeds the limit of ${limit} bytes`, {
    code: "payload_too_large",
    details: { limit },
  });
}

/**
 * An adapter's request object may offer this method: read the whole body, at most `limit` bytes, straight from
 * the runtime (no Fetch stream). It resolves null past the limit, announced (Content-Length) or streamed, or
 * returns undefined when it cannot (then the body is read through the Fetch API).
 */
export const READ_BODY: unique symbol = Symbol.for("asyncview.readBody");

interface DirectBody {
  [READ_BODY]?: (limit: number) => Promise<Uint8Array | null> | undefined;
}

/**
 * A body that cannot be read (the client left mid-body, a malformed chunk) is the client's fault: 400, which the
 * app does not log, so a client cannot fill the server's error log at will.
 */
function unreadable(error: unknown): HttpError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpError(400, `the request body could not be read: ${reason}`, { code: "bad_body", cause: error });
}

/** Reads the whole body, refusing (413) once more than `limit` bytes arrive or are announced. */
export async function readBytes(request: Request, options: BodyOptions = {}): Promise<Uint8Array> {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const direct = (request as DirectBody)[READ_BODY]?.(limit);
  if (direct) {
    const bytes = await direct.catch((error: unknown) => {
      throw unreadable(error);
    });
    if (bytes === null) throw tooLarge(limit);
    return bytes;
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((error: unknown) => {
      throw unreadable(error);
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Reads the body as UTF-8 text; invalid UTF-8 gives 400. */
export async function readText(request: Request, options: BodyOptions = {}): Promise<string> {
  const bytes = await readBytes(request, options);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "request body is not valid UTF-8", { code: "bad_encoding" });
  }
}

/** Reads and parses a JSON body; empty or malformed gives 400 with a message that is the same on every runtime. */
export async function readJson<T = unknown>(request: Request, options: BodyOptions = {}): Promise<T> {
  const body = await readText(request, options);
  if (body.trim() === "") throw new HttpError(400, "request body is empty; expected JSON", { code: "bad_json" });
  try {
    return JSON.parse(body) as T;
  } catch {
    // The parser's own message differs between V8 (Node, Deno) and JavaScriptCore (Bun); this one does not.
    throw new HttpError(400, `malformed JSON body (${body.length} characters): expected one JSON document`, {
      code: "bad_json",
    });
  }
}
