// The `ws` half of WebSocket on a node:http front, shared by the Node adapter and the blocking baseline's main thread:
// it completes an upgrade the app accepted (one ws server per message-size limit) and relays a ws socket's events.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { SocketMessage } from "@asyncview/core";

export type { WebSocket } from "ws";

/** Where a ws socket's events go: core's ServerSocket on Node, the relay to the socket's thread on blocking. */
export interface SocketEvents {
  /** A whole message (ws reassembles fragments): text as a string, binary as bytes. */
  receive(message: SocketMessage): void;
  /** A pong or a ping from the peer. */
  activity(): void;
  /** The connection closed: the close frame's code and reason (1005 without a code, 1006 without a frame). */
  ended(code: number, reason: string): void;
}

/** Completes upgrades with `ws`: one ws server (no HTTP server of its own) per limit, so a route's limit is ws's maxPayload. */
export class WebSocketAcceptor {
  readonly #servers = new Map<number, WebSocketServer>();
  readonly #chosen = new WeakMap<IncomingMessage, string>();

  /** Answers the handshake of `req` with subprotocol `protocol` ("" for none) and calls `opened` with the socket. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, maxMessageSize: number, opened: (ws: WebSocket) => void): void {
    this.#chosen.set(req, protocol);
    this.#serverFor(maxMessageSize).handleUpgrade(req, socket, head, opened);
  }

  #serverFor(maxPayload: number): WebSocketServer {
    let server = this.#servers.get(maxPayload);
    if (!server) {
      server = new WebSocketServer({
        noServer: true,
        maxPayload,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: (_offered, req) => this.#chosen.get(req) || false,
      });
      this.#servers.set(maxPayload, server);
    }
    return server;
  }
}

/** Sends `ws`'s events to `events`. */
export function relayEvents(ws: WebSocket, events: SocketEvents): void {
  ws.on("message", (data: Buffer, isBinary: boolean) => events.receive(isBinary ? data : data.toString("utf8")));
  ws.on("pong", () => events.activity());
  ws.on("ping", () => events.activity());
  // Protocol errors (a bad frame, an oversize message: ws closes with 1002/1009 itself) end in "close" below.
  ws.on("error", () => {});
  ws.on("close", (code: number, reason: Buffer) => events.ended(code, reason.toString("utf8")));
}
