// Reading request bodies with a size limit: bytes, text and JSON (with a nesting limit).
// Too large gives 413; malformed or too deeply nested JSON, or bad UTF-8, gives 400; each a JSON body naming the problem.

import { HttpError } from "./errors.ts";

/** Default request body limit: 1 MiB (Hono's and Express's defaults are 100 KiB-1 MiB; Django's is 2.5 MB). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Default JSON nesting limit of `readJson`: 100 arrays/objects inside one another (Ruby's JSON `max_nesting` default;
 * serde_json's is 128, .NET's 64). Ample for real documents, and far from where recursion over the value fails:
 * JSON.stringify overflows the stack at about 4,400 levels on Node 24 (fewer inside a deep call stack), 40,000 in Bun's engine.
 */
export const DEFAULT_JSON_MAX_DEPTH = 100;

export interface BodyOptions {
  /** Maximum body size in bytes. Default {@link DEFAULT_BODY_LIMIT}. */
  limit?: number;
  /**
   * `readJson` only: how many arrays and objects may sit inside one another (`[]` is 1, `[{}]` 2, a scalar 0);
   * deeper is 400 `json_too_deep`. A whole number, or `Infinity` for no limit. Default {@link DEFAULT_JSON_MAX_DEPTH}.
   */
  maxDepth?: number;
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
 * app does not log, so a client cannot fill the server's error log at will. An adapter that already failed the read
 * with an HttpError (the blocking front's 413 past its cap, its 400) keeps it.
 */
function unreadable(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpError(400, `the request body could not be read: ${reason}`, { code: "bad_body", cause: error });
}

/**
 * Each request's body as first read, kept on the request itself: read again, it gives the same bytes (as Starlette's
 * and Hono's do). Not a WeakMap: V8's young-generation GC pays for every entry under a short-lived key.
 */
const READ: unique symbol = Symbol("asyncview.body");
interface ReadBody {
  [READ]?: Promise<Uint8Array>;
}

/**
 * Reads the whole body, refusing (413) once more than `limit` bytes arrive or are announced. The body is read from
 * the client once; a second call (readText after readBytes, readJson twice) gets the same bytes, checked against
 * its own limit, or the first read's failure.
 */
export function readBytes(request: Request, options: BodyOptions = {}): Promise<Uint8Array> {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const earlier = (request as ReadBody)[READ];
  // Read before (with its own limit): this call's limit is checked on the bytes kept.
  if (earlier !== undefined) return earlier.then((bytes) => (bytes.byteLength > limit ? Promise.reject(tooLarge(limit)) : bytes));
  const read = readBody(request, limit);
  (request as ReadBody)[READ] = read;
  return read;
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const direct = (request as DirectBody)[READ_BODY]?.(limit);
  if (direct) {
    let bytes: Uint8Array | null;
    try {
      bytes = await direct;
    } catch (error) {
      throw unreadable(error);
    }
    if (bytes === null) throw tooLarge(limit);
    return bytes;
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  if (request.body === null) return new Uint8Array(0);
  // An announced length within the limit (no chunked framing, which would override it) bounds the body: one
  // request.bytes() call, which Bun and Deno each do natively, is cheaper than the loop below (POST /echo with a
  // 70-byte body, CPU per request: Bun 17.8 against 24.3 µs, Deno 19.4 against 24.9).
  if (declared !== null && request.headers.get("transfer-encoding") === null) {
    const bytes = await request.bytes().catch((error: unknown) => {
      throw unreadable(error);
    });
    if (bytes.byteLength > limit) throw tooLarge(limit);
    return bytes;
  }
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

/** Strict UTF-8 (a malformed sequence throws). Shared: without `{ stream: true }` a decode keeps no state between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads the body as UTF-8 text; invalid UTF-8 gives 400. */
export async function readText(request: Request, options: BodyOptions = {}): Promise<string> {
  const bytes = await readBytes(request, options);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "request body is not valid UTF-8", { code: "bad_encoding" });
  }
}

const OPEN_BRACKET = 0x5b; // [
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACKET = 0x5d; // ]
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether `text` nests arrays/objects more than `maxDepth` deep: one pass counting `[` and `{` outside strings,
 * allocating nothing. It runs before JSON.parse, so neither the parser nor anything that walks the value recurses
 * that deep. A string is skipped with indexOf to its closing quote (one not escaped by an odd run of backslashes),
 * so long strings cost almost nothing. Malformed text is judged by the brackets it opens (the depth never goes below
 * 0), so a stray `]` cannot buy more room; JSON.parse then rejects it.
 */
export function jsonTooDeep(text: string, maxDepth: number): boolean {
  // A text no longer than the limit cannot open more brackets than it has characters: the small-body fast path.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end < 0) return false; // an unterminated string: malformed, and nothing after it nests
        let before = end - 1;
        while (text.charCodeAt(before) === BACKSLASH) before--; // stops at the opening quote at the latest
        i = end;
        if ((end - 1 - before) % 2 === 0) break; // an even run of backslashes: this quote closes the string
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) depth--;
  }
  return false;
}

function checkedMaxDepth(maxDepth: number | undefined): number {
  if (maxDepth === undefined) return DEFAULT_JSON_MAX_DEPTH;
  if (maxDepth === Infinity || (Number.isInteger(maxDepth) && maxDepth >= 0)) return maxDepth;
  throw new TypeError(`readJson: maxDepth must be a whole number >= 0 or Infinity, got ${String(maxDepth)}`);
}

/**
 * Reads and parses a JSON body. Empty or malformed gives 400 `bad_json` with a message that is the same on every
 * runtime; nesting deeper than `maxDepth` (default {@link DEFAULT_JSON_MAX_DEPTH}) gives 400 `json_too_deep`.
 */
export async function readJson<T = unknown>(request: Request, options: BodyOptions = {}): Promise<T> {
  const maxDepth = checkedMaxDepth(options.maxDepth);
  const body = await readText(request, options);
  if (maxDepth !== Infinity && jsonTooDeep(body, maxDepth)) {
    throw new HttpError(400, `JSON body has nesting deeper than ${maxDepth} levels (arrays and objects inside one another)`, {
      code: "json_too_deep",
      details: { maxDepth },
    });
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    // Whitespace only is not JSON either (JSON.parse refused it): said so, rather than "malformed".
    if (body.trim() === "") throw new HttpError(400, "request body is empty; expected JSON", { code: "bad_json" });
    // The parser's own message differs between V8 (Node, Deno) and JavaScriptCore (Bun); this one does not.
    throw new HttpError(400, `malformed JSON body (${body.length} characters): expected one JSON document`, {
      code: "bad_json",
    });
  }
}
