// Oversized and malformed requests on raw connections: heads too big get 431 (414), broken framing and smuggling 400
// and a close; where a runtime's own parser refuses first, the check asserts what the README documents for it.

import type { RuntimeName } from "@asyncview/cli/args";
import type { Socket } from "node:net";
import { exchange, freshGet, type Exchange } from "./client.ts";
import { alive, report, startTarget } from "./server.ts";
import { check, sleep, type AttackResult, type Check, type Settings } from "./types.ts";

interface Case {
  name: string;
  request: string | Buffer;
  /** Acceptable final statuses. */
  expect: number[];
  /**
   * Where a runtime's parser answers before asyncview sees the request (README "Request bodies and smuggling", "Timeouts
   * and limits"): the statuses it gives instead (an empty list: no answer, the connection is just closed).
   */
  runtime?: Partial<Record<RuntimeName, number[]>>;
  /**
   * An oversized request the server refuses while the client is still sending it: closing with unread bytes makes the
   * kernel send a reset, which can discard the answer before the client reads it. A reset with no answer is then a
   * refusal too (a runtime accepting the request would still answer 200 and fail).
   */
  resetIsRefusal?: boolean;
  /** The server must close the connection after answering (it cannot know where the next request starts). */
  mustClose: boolean;
  /** Final responses expected on the connection (pipelining). */
  responses?: number;
  send?: (socket: Socket) => Promise<void>;
}

const HOST = "Host: 127.0.0.1\r\n";
const DEPTH = 100_000;

function cases(port: number): Case[] {
  const deep = "[".repeat(DEPTH) + "]".repeat(DEPTH);
  const echo = '{"a":1}';
  return [
    { name: "100 KB header", request: `GET /hello HTTP/1.1\r\n${HOST}X-Big: ${"a".repeat(100_000)}\r\n\r\n`, expect: [431], mustClose: true, runtime: { deno: [400] }, resetIsRefusal: true },
    {
      name: "1,000 headers",
      request: `GET /hello HTTP/1.1\r\n${HOST}${Array.from({ length: 1_000 }, (_, i) => `X-H-${i}: ${"v".repeat(16)}\r\n`).join("")}\r\n`,
      expect: [431],
      mustClose: true,
      runtime: { deno: [400] },
      resetIsRefusal: true,
    },
    { name: "1 MB URL", request: `GET /hello?${"q".repeat(1_000_000)} HTTP/1.1\r\n${HOST}\r\n`, expect: [414, 431], mustClose: true, runtime: { deno: [400] }, resetIsRefusal: true },
    { name: "NUL in the path", request: `GET /hel\0lo HTTP/1.1\r\n${HOST}\r\n`, expect: [400], mustClose: true, runtime: { bun: [505] } },
    { name: "invalid request line", request: "GARBAGE\r\n\r\n", expect: [400], mustClose: true },
    // 400 missing_host: asyncview asks Host of HTTP/1.0 too (core/src/host.ts: Deno cannot tell the versions apart).
    { name: "HTTP/1.0 without Host", request: "GET /hello HTTP/1.0\r\n\r\n", expect: [400], mustClose: true },
    { name: "absolute-form target", request: `GET http://127.0.0.1:${port}/hello HTTP/1.1\r\n${HOST}\r\n`, expect: [200], mustClose: false },
    {
      name: "bad chunk size",
      request: `POST /echo HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n${echo}\r\n0\r\n\r\n`,
      expect: [400],
      mustClose: true,
      runtime: { deno: [] },
    },
    {
      name: "Content-Length + Transfer-Encoding",
      request: `POST /echo HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n${echo}\r\n0\r\n\r\n`,
      expect: [400],
      mustClose: true,
    },
    {
      name: "duplicate differing Content-Length",
      request: `POST /echo HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n${echo} `,
      expect: [400],
      mustClose: true,
    },
    { name: "obs-fold header", request: `GET /hello HTTP/1.1\r\n${HOST}X-Folded: a\r\n b\r\n\r\n`, expect: [400], mustClose: true },
    {
      name: "2 pipelined requests",
      request: `GET /hello HTTP/1.1\r\n${HOST}\r\nGET /hello HTTP/1.1\r\n${HOST}\r\n`,
      expect: [200],
      mustClose: false,
      responses: 2,
    },
    {
      name: "Expect: 100-continue",
      request: "",
      expect: [200],
      mustClose: false,
      async send(socket) {
        socket.write(`POST /echo HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: ${echo.length}\r\nExpect: 100-continue\r\n\r\n`);
        // Wait (up to 1 s) for the interim 100, as curl does, then send the body.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          socket.once("data", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        socket.write(echo);
      },
    },
    {
      name: `${DEPTH.toLocaleString("en-US")}-deep JSON to /echo`,
      request: `POST /echo HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: ${deep.length}\r\n\r\n${deep}`,
      expect: [400],
      mustClose: false,
    },
  ];
}

function verdict(c: Case, runtime: RuntimeName, seen: Exchange): Check {
  const expect = c.runtime?.[runtime] ?? c.expect;
  const responses = expect.length === 0 ? 0 : (c.responses ?? 1);
  const finals = seen.statuses.filter((s) => s >= 200);
  const resetRefused = c.resetIsRefusal === true && seen.reset && finals.length === 0;
  const statusOk = resetRefused || (finals.length === responses && finals.every((s) => expect.includes(s)));
  const closeOk = !c.mustClose || (seen.closed && !seen.timedOut);
  const got = `${seen.statuses.join(", ") || "no response"}${seen.closed ? (seen.reset ? ", reset" : ", closed") : ", kept open"}${seen.timedOut ? ", timed out" : ""}${seen.error ? `, ${seen.error}` : ""}`;
  const wanted = expect.length === 0 ? `no answer (${runtime}'s parser)` : `${expect.join(" or ")}${c.runtime?.[runtime] ? ` (${runtime}'s parser)` : ""}`;
  return check(`${c.name}: ${wanted}${c.resetIsRefusal ? " (or a reset)" : ""}${c.mustClose ? " and close" : ""}`, statusOk && closeOk, got);
}

export async function malformed(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const target = await startTarget(runtime, settings);
  try {
    const checks: Check[] = [];
    const figures: Record<string, string> = {};
    for (const c of cases(target.port)) {
      const seen = await exchange(target.port, c.request, { timeoutMs: 3_000, lingerMs: 300, responses: c.responses ?? 1, ...(c.send ? { send: c.send } : {}) });
      const result = verdict(c, runtime, seen);
      checks.push(result);
      figures[c.name] = result.detail;
      if (!alive(target)) break;
      await sleep(20);
    }
    const after = await freshGet(target.port);
    checks.push(check("the server lives and serves /hello after all of them", alive(target) && after.status === 200, `status ${after.status}`));
    return report("malformed", target, checks, figures);
  } finally {
    await target.server.stop("SIGKILL");
  }
}
