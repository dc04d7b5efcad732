// The WebSocket benchmark at a tiny scale (20 sockets, 1 s): every target started as `pnpm bench:ws` starts it, checked,
// and measured by the real load client processes; the check tells a wrong server from an unsupported one; bad options fail.

import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { checkWsTarget } from "../src/ws-check.ts";
import { parseWsArgs, WsUsageError } from "../src/ws-cli.ts";
import { runWsBench, type WsResult } from "../src/ws-run.ts";
import { kibPerSocket, wsTables } from "../src/ws-table.ts";
import { WS_TARGETS } from "../src/ws-targets.ts";

const SOCKETS = 20;
const BROADCASTS = 5;
let result: WsResult;

describe("a tiny run of every scenario on every target", () => {
  it("runs, one target at a time, and reports every target measured (blocking included, a thread per socket)", async () => {
    const lines: string[] = [];
    result = await runWsBench(
      {
        targets: [...WS_TARGETS],
        scenarios: ["ws-idle", "ws-echo", "ws-broadcast"],
        repeats: 1,
        durationS: 1,
        warmupS: 0,
        echoSockets: [SOCKETS],
        idleSockets: [SOCKETS],
        broadcastSockets: [SOCKETS],
        broadcasts: BROADCASTS,
        // The blocking baseline holds a thread per socket: one for each, so every socket opens.
        threads: SOCKETS,
        settleMs: 200,
      },
      "test",
      (line) => lines.push(line),
    );
    for (const target of result.targets) {
      expect(target.status, `${target.id}: ${target.error} (log: ${lines.join(" | ")})`).toBe("ok");
      const runs = result.runs.filter((r) => r.target === target.id);
      expect(runs.map((r) => r.scenario).sort(), target.id).toEqual(["ws-broadcast", "ws-echo", "ws-idle"]);
      for (const run of runs) {
        expect(run.opened, `${target.id} ${run.scenario}`).toBe(SOCKETS);
        expect(run.failed + run.closedEarly, `${target.id} ${run.scenario}: ${run.failures.join("; ")}`).toBe(0);
      }
      const idle = runs.find((r) => r.scenario === "ws-idle")!;
      expect(idle.rssBeforeKiB, target.id).toBeGreaterThan(0);
      expect(idle.rssWithKiB, target.id).toBeGreaterThan(0);
      expect(kibPerSocket(idle), target.id).not.toBeNull();
      const echo = runs.find((r) => r.scenario === "ws-echo")!;
      expect(echo.wrongAnswers, target.id).toBe(0);
      expect(echo.roundTripsPerS, target.id).toBeGreaterThan(0);
      expect(echo.histogram!.pairs.reduce((n, [, c]) => n + c, 0), target.id).toBeGreaterThan(0);
      expect(echo.serverCpuNsPerMessage, target.id).toBeGreaterThan(0);
      const broadcast = runs.find((r) => r.scenario === "ws-broadcast")!;
      expect(broadcast.lost, target.id).toBe(0);
      expect(broadcast.broadcastMs, target.id).toHaveLength(BROADCASTS);
    }
  }, 240_000);

  it("prints a table per scenario with a row per measured target, and the unsupported ones below", () => {
    const text = wsTables(result);
    for (const heading of ["ws-idle:", "ws-echo:", "ws-broadcast:"]) expect(text).toContain(heading);
    for (const target of result.targets) {
      if (target.status === "ok") expect(text.split("\n").filter((l) => l.startsWith(target.label)).length, target.id).toBe(3);
      else expect(text).toContain(`${target.label}: ${target.status}`);
    }
    expect(wsTables(result, "markdown")).toContain("| target | sockets |");
  });
});

describe("the check", () => {
  const servers: HttpServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  /** A real server on a free port: `upgrade` decides what each WebSocket upgrade gets. */
  function serve(upgrade: (wss: WebSocketServer, ...args: Parameters<WebSocketServer["handleUpgrade"]>) => void): Promise<string> {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (request, socket, head) => upgrade(wss, request, socket, head, () => {}));
    servers.push(server);
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  }

  it("reports a server that refuses the upgrade with 501 as unsupported, with its answer", async () => {
    const url = await serve((_wss, _request, socket) => socket.end('HTTP/1.1 501 Not Implemented\r\ncontent-type: application/json\r\ncontent-length: 36\r\n\r\n{"error":{"code":"not_implemented"}}'));
    expect(await checkWsTarget(url)).toEqual({ unsupported: true, reason: expect.stringMatching(/501.*not_implemented/) as unknown as string });
  });

  it("fails a server whose echo changes the message, naming what it answered", async () => {
    const url = await serve((wss, request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (ws) => ws.on("message", (data) => ws.send(data.toString().toUpperCase()))),
    );
    expect(await checkWsTarget(url)).toEqual({ unsupported: false, reason: expect.stringContaining("PING") as unknown as string });
  });

  it("fails a chat room that does not send the text to the other member", async () => {
    const url = await serve((wss, request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (ws) => {
        if (request.url === "/ws/echo") ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
        // The room announces each join to the joiner, then answers only its sender.
        else {
          const room = request.url!.split("/").at(-1);
          ws.send(JSON.stringify({ room, joined: "x" }));
          ws.on("message", (data) => ws.send(JSON.stringify({ room, from: "x", text: data.toString() })));
        }
      }),
    );
    expect((await checkWsTarget(url))?.reason).toMatch(/no message within 15 s/);
  }, 30_000);
});

describe("bench:ws options", () => {
  it("rejects unknown targets and scenarios and out-of-range counts, naming what is accepted", () => {
    expect(() => parseWsArgs(["--targets", "nope"])).toThrow(/unknown target "nope"; known: asyncview-node/);
    expect(() => parseWsArgs(["--scenarios", "ws-nope"])).toThrow(/known: ws-idle, ws-echo, ws-broadcast/);
    expect(() => parseWsArgs(["--idle-sockets", "50000"])).toThrow(WsUsageError);
    expect(() => parseWsArgs(["--broadcast-sockets", "1"])).toThrow(/2\.\.5000/);
  });

  it("defaults to the issue's scales", () => {
    const options = parseWsArgs([]);
    if (options === "help") throw new Error("unexpected help");
    expect(options.echoSockets).toEqual([64, 1024]);
    expect(options.idleSockets).toEqual([1000, 10000]);
    expect(options.broadcastSockets).toEqual([1000]);
    expect(options.targets.map((t) => t.id)).toContain("asyncview-blocking");
  });
});
