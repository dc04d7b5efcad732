// The correctness check before any timing: the scenario's request, its status, content type and body compared with
// what the demo view answers; then, TechEmpower-style, the required headers and keep-alive on one raw connection.

import { connect } from "node:net";
import { requestBytes, ResponseParser } from "./generator-process.ts";
import type { Answer, Scenario } from "./scenarios.ts";

/** Headers every answer must carry (RFC 9110: Date from an origin with a clock; a type; its framing). */
export const REQUIRED_HEADERS = ["date", "content-type"] as const;

type Request = Pick<Scenario, "method" | "path" | "body">;

/** Sends the scenario's request once: its answer, or why there was none. */
export async function fetchAnswer(baseUrl: string, scenario: Request, timeoutMs = 15_000): Promise<Answer | { error: string }> {
  try {
    const init: RequestInit = { method: scenario.method, signal: AbortSignal.timeout(timeoutMs) };
    if (scenario.body !== undefined) {
      init.body = scenario.body;
      init.headers = { "content-type": "application/json" };
    }
    const response = await fetch(`${baseUrl}${scenario.path}`, init);
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { error: `request failed: ${(error as Error).message}${cause ? ` (${cause})` : ""}` };
  }
}

/** Sends the scenario's request once; returns why the answer is wrong, or null when it is right. */
export async function checkAnswer(baseUrl: string, scenario: Request & Pick<Scenario, "verify">, timeoutMs = 15_000): Promise<string | null> {
  const answer = await fetchAnswer(baseUrl, scenario, timeoutMs);
  if ("error" in answer) return answer.error;
  return scenario.verify(answer) ?? (await checkConnection(baseUrl, scenario, timeoutMs));
}

/** One response's head, lower-cased header names. */
function headersOf(raw: Buffer): Map<string, string> {
  const head = raw.toString("latin1", 0, Math.max(0, raw.indexOf("\r\n\r\n")));
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Two requests, one after the other, on one HTTP/1.1 connection (no Connection header: keep-alive is the default):
 * both must be answered on it, the first without `Connection: close`, each with the required headers and a framing
 * (Content-Length or chunked). Null when all holds, else what did not.
 */
export function checkConnection(baseUrl: string, scenario: Request, timeoutMs = 15_000): Promise<string | null> {
  const url = new URL(`${baseUrl}${scenario.path}`);
  const bytes = requestBytes({ url: url.href, method: scenario.method, body: scenario.body });
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const parser = new ResponseParser();
    let raw: Buffer[] = [];
    let answered = 0;
    const finish = (why: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => finish(`no answer to request ${answered + 1} of 2 on one connection within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once("connect", () => socket.write(bytes));
    socket.on("error", (error) => finish(`connection failed: ${error.message}`));
    socket.on("close", () => finish(answered < 2 ? `the server closed the connection after ${answered} answer(s): no keep-alive` : null));
    socket.on("data", (chunk: Buffer) => {
      raw.push(chunk);
      const done = parser.push(chunk);
      if (done.length === 0) return;
      answered++;
      const headers = headersOf(Buffer.concat(raw));
      raw = [];
      const missing = REQUIRED_HEADERS.filter((h) => !headers.has(h));
      if (missing.length) return finish(`answer lacks the required header(s) ${missing.join(", ")}`);
      if (!headers.has("content-length") && !/chunked/i.test(headers.get("transfer-encoding") ?? "")) return finish("answer has neither Content-Length nor chunked Transfer-Encoding");
      if (done[0]!.close) return finish("the server answered with Connection: close: no keep-alive");
      if (answered === 2) return finish(null);
      socket.write(bytes);
    });
  });
}
