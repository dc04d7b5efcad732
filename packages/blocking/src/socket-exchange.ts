// The main thread's half of one WebSocket upgrade request: it waits in the queue like any request; the thread that
// takes it runs the view, and then either answers it plainly (written on the raw socket) or asks for the upgrade,
// which `ws` completes here; the socket's events go to that thread, its sends come back, until the socket closes.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { BodyPiece } from "./body-source.ts";
import { relayEvents, type WebSocket, type WebSocketAcceptor, writeRawResponse } from "@asyncview/node/front";
import type { JobExchange } from "./pool.ts";
import type { RequestMessage, ResponseMessage, SocketFromWorker, ToWorker } from "./protocol.ts";

/** Where the socket is in its life, as the main thread sees it. */
type Phase = "waiting" | "answering" | "open" | "ended";

export class SocketExchange implements JobExchange {
  readonly id: number;
  readonly #req: IncomingMessage;
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #url: string;
  readonly #acceptor: WebSocketAcceptor;
  #phase: Phase = "waiting";
  #post: ((message: ToWorker, transfer?: ArrayBuffer[]) => void) | undefined;
  #ws: WebSocket | undefined;
  #goingAway = false;
  /** The streamed body of a plain answer, fed by the worker's chunks. */
  #body: { controller: ReadableStreamDefaultController<Uint8Array>; ack: (() => void) | undefined } | undefined;
  #handshakeDone!: () => void;
  #finished!: () => void;
  /** Settles once the handshake was answered: upgraded, refused, or the client left. */
  readonly handshake = new Promise<void>((resolve) => (this.#handshakeDone = resolve));
  /** Settles once the job is over: the thread let go of it, or it never reached one. */
  readonly finished = new Promise<void>((resolve) => (this.#finished = resolve));

  constructor(id: number, req: IncomingMessage, socket: Duplex, head: Buffer, url: string, acceptor: WebSocketAcceptor) {
    this.id = id;
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#url = url;
    this.#acceptor = acceptor;
    socket.once("close", () => {
      if (this.#phase === "waiting" || this.#phase === "answering") this.#handshakeDone();
    });
  }

  /** The raw connection closed before the socket opened. */
  get gone(): boolean {
    return this.#socket.destroyed && this.#ws === undefined;
  }

  /** The request for the thread: no body (an upgrade request has none), marked as an upgrade. */
  request(): RequestMessage {
    const req = this.#req;
    return { type: "request", id: this.id, method: req.method ?? "GET", url: this.#url, headers: req.rawHeaders, body: false, remoteAddress: req.socket.remoteAddress, upgrade: true };
  }

  assigned(post: (message: ToWorker, transfer?: ArrayBuffer[]) => void): void {
    this.#post = post;
    if (this.#phase === "waiting") this.#phase = "answering";
  }

  /** The view answered without upgrading (a 4xx, an HTTP route): its response goes out on the raw socket, streamed. */
  write(message: ResponseMessage, ack: () => void): void {
    switch (message.type) {
      case "head": {
        const headers = new Headers();
        for (let i = 0; i < message.headers.length; i += 2) headers.append(message.headers[i]!, message.headers[i + 1]!);
        let body: BodyInit | null = message.body as BodyInit | null;
        if (message.more) {
          const first = message.body as Uint8Array;
          body = new ReadableStream<Uint8Array>(
            {
              start: (controller) => {
                this.#body = { controller, ack };
                controller.enqueue(first);
              },
              // The raw socket took the last chunk: the worker may send the next.
              pull: () => {
                const waiting = this.#body?.ack;
                if (this.#body) this.#body.ack = undefined;
                waiting?.();
              },
            },
            { highWaterMark: 0 },
          );
        }
        this.#answer(new Response(body, { status: message.status, statusText: message.statusText, headers }));
        if (!message.more) ack();
        return;
      }
      case "chunk":
        if (!this.#body) return;
        this.#body.ack = ack;
        this.#body.controller.enqueue(message.bytes);
        return;
      case "end":
        this.#body?.controller.close();
        ack();
        return;
      case "fail":
        if (this.#ws) this.#ws.terminate();
        else if (this.#body) this.#body.controller.error(new Error("worker failed"));
        else this.#socket.destroy();
        return;
    }
  }

  /** Answers from the main thread (503 when the queue is full or the server closes) on the raw socket. */
  respond(response: Response): void {
    this.#answer(response);
    if (this.#phase === "waiting") this.dropped();
  }

  pull(): Promise<BodyPiece> {
    return Promise.resolve({ bytes: null });
  }

  relay(message: SocketFromWorker): void {
    const ws = this.#ws;
    switch (message.type) {
      case "upgrade":
        return this.#upgrade(message.protocol, message.maxMessageSize);
      case "send":
        // ws calls back once the bytes were written (or with an error once the socket closed): either way, not buffered.
        if (ws) ws.send(message.data, () => this.#post?.({ type: "sent", id: this.id, bytes: message.bytes }));
        return;
      case "close":
        ws?.close(message.code, message.reason);
        return;
      case "terminate":
        ws?.terminate();
        return;
      case "ping":
        ws?.ping();
        return;
    }
  }

  /**
   * The server is closing: the thread closes the socket with 1001 after what its handler already sent (a socket whose
   * handshake is still under way gets it once open).
   */
  goAway(): void {
    this.#goingAway = true;
    if (this.#ws) this.#post?.({ type: "goaway", id: this.id });
  }

  /** Past the shutdown deadline: drop the connection. */
  cut(): void {
    if (this.#ws) this.#ws.terminate();
    else this.#socket.destroy();
  }

  release(): void {
    this.#phase = "ended";
    // A thread that let go without answering (it died, or the client left): nothing more will be written.
    if (this.#ws === undefined && !this.#socket.writableEnded) this.#socket.destroy();
    this.#handshakeDone();
    this.#finished();
  }

  /** Never reached a thread (queue full, shutting down, the client left while waiting). */
  dropped(): void {
    this.#phase = "ended";
    this.#handshakeDone();
    this.#finished();
  }

  #answer(response: Response): void {
    void writeRawResponse(this.#socket, response).finally(() => this.#handshakeDone());
  }

  #upgrade(protocol: string, maxMessageSize: number): void {
    const closed = (code: number, reason: string) => this.#post?.({ type: "closed", id: this.id, code, reason });
    if (this.#socket.destroyed) {
      this.#handshakeDone();
      return closed(1006, "");
    }
    this.#acceptor.accept(this.#req, this.#socket, this.#head, protocol, maxMessageSize, (ws) => {
      this.#ws = ws;
      this.#phase = "open";
      this.#handshakeDone();
      this.#post?.({ type: "opened", id: this.id });
      if (this.#goingAway) this.#post?.({ type: "goaway", id: this.id });
      relayEvents(ws, {
        receive: (data) => {
          if (typeof data === "string") return this.#post?.({ type: "inbound", id: this.id, data });
          // A buffer of its own, moved to the thread (ws's may be a view into a larger read buffer).
          const bytes = new Uint8Array(data);
          this.#post?.({ type: "inbound", id: this.id, data: bytes }, [bytes.buffer]);
        },
        activity: () => this.#post?.({ type: "activity", id: this.id }),
        ended: closed,
      });
    });
    // ws destroys a socket whose handshake it cannot complete (it closed meanwhile) without calling back.
    this.#socket.once("close", () => {
      if (this.#ws === undefined) closed(1006, "");
    });
  }
}
