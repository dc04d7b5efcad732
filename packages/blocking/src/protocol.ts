// The messages between the main thread (the Express front) and a worker thread (one request or socket at a time).
// Every head/chunk/end a worker sends is answered by one `ack` (or `abort`); every `pull` by one `body` (or `abort`).

/** What a worker is started with (`workerData`). */
export interface WorkerData {
  /** file: URL of the app module; its default export, or its `app` export, is an App. */
  appModule: string;
  /** ServeOptions.crashOnUnhandled: an error nobody handled ends the thread, and the pool then ends the process. */
  crashOnUnhandled: boolean;
}

import type { Client } from "@asyncview/core";

// ---- main thread -> worker --------------------------------------------------------------------------

/** One request. Its body stays in the socket until the view reads it: the worker then asks for it with `pull`. */
export interface RequestMessage {
  type: "request";
  id: number;
  method: string;
  url: string;
  /** Flat [name, value, ...] pairs as received; repeated headers stay separate. */
  headers: string[];
  /** True when the request carries a body the view may read (never for GET and HEAD). */
  body: boolean;
  /** The client's IP address, as the front's socket reports it. */
  remoteAddress: string | undefined;
  /** What core's request pipeline decided in the front: the peer's port, the client and URL from trusted proxy headers, the request id. */
  remotePort?: number | undefined;
  client?: Client | undefined;
  clientUrl?: string | undefined;
  requestId?: string | undefined;
  /** True for a WebSocket upgrade request: a socket route may accept it, and the thread then holds the socket. */
  upgrade?: boolean;
}

/** The last head/chunk/end of request `id` was handed to the socket (or its buffer drained): send the next. */
export interface AckMessage {
  type: "ack";
  id: number;
}

/** The client of request `id` left, or the server gave up on it at shutdown: abort its signal, cancel its body. */
export interface AbortMessage {
  type: "abort";
  id: number;
  reason: string;
  /** The DOMException name ctx.signal's reason gets: "TimeoutError" at the request deadline, else "AbortError". */
  name?: "TimeoutError" | undefined;
}

/** Run the app's shutdown hooks (draining `waitUntil` work within `timeout` ms), then answer `stopped`. */
export interface ShutdownMessage {
  type: "shutdown";
  timeout: number;
}

/**
 * The answer to `pull`: the next bytes of the request body (the buffer is transferred), or its end (`bytes` null),
 * or why it cannot be read (`error`: the status, code and message of the HttpError the body stream fails with).
 */
export interface BodyMessage {
  type: "body";
  id: number;
  bytes: Uint8Array | null;
  error?: { status: number; code: string; message: string; details?: unknown };
}

// ---- one WebSocket, main thread -> worker (the main thread holds the `ws` socket, the worker its handler) ----------

/** The handshake the worker asked for (`upgrade`) completed: the socket is open. */
export interface OpenedMessage {
  type: "opened";
  id: number;
}

/** A whole message from the peer. */
export interface InboundMessage {
  type: "inbound";
  id: number;
  data: string | Uint8Array;
}

/** A pong or a ping from the peer (the idle timer's sign of life). */
export interface ActivityMessage {
  type: "activity";
  id: number;
}

/** `bytes` of the worker's sends were written to the network (or dropped with the connection). */
export interface SentMessage {
  type: "sent";
  id: number;
  bytes: number;
}

/** The connection closed (before the handshake too: 1006). */
export interface ClosedMessage {
  type: "closed";
  id: number;
  code: number;
  reason: string;
}

/** The server is shutting down: close the socket with 1001 after what the handler already sent. */
export interface GoAwayMessage {
  type: "goaway";
  id: number;
}

export type SocketToWorker = OpenedMessage | InboundMessage | ActivityMessage | SentMessage | ClosedMessage | GoAwayMessage;

// ---- rooms: main thread -> worker -------------------------------------------------------------------------

/** A message published to the room of subscription `sub`. */
export interface RoomMessage {
  type: "room";
  sub: number;
  message: string | Uint8Array;
}

/** The answer to the worker's layer call `call`; `error` is the message of the failure. */
export interface LayerReplyMessage {
  type: "layer-reply";
  call: number;
  error?: string;
}

export type RoomsToWorker = RoomMessage | LayerReplyMessage;

export type ToWorker = RequestMessage | AckMessage | AbortMessage | ShutdownMessage | BodyMessage | SocketToWorker | RoomsToWorker;

// ---- worker -> main thread --------------------------------------------------------------------------

/** The app module loaded and its startup hooks ran. */
export interface ReadyMessage {
  type: "ready";
}

/** Loading the app module or a startup hook failed; the worker is useless. */
export interface FailedMessage {
  type: "failed";
  message: string;
}

/**
 * Status and headers of request `id`. With `more: false` the response is complete: `body` is all of it
 * (a helper's text, or bytes) or null. With `more: true`, `body` is the first chunk and chunks follow.
 */
export interface HeadMessage {
  type: "head";
  id: number;
  status: number;
  statusText: string;
  /** Flat lower-case [name, value, ...] pairs; each Set-Cookie is its own pair. */
  headers: string[];
  body: string | Uint8Array | null;
  more: boolean;
}

/** The next chunk of a streaming body (its buffer is transferred). */
export interface ChunkMessage {
  type: "chunk";
  id: number;
  bytes: Uint8Array;
}

/** The streaming body of request `id` is complete. */
export interface EndMessage {
  type: "end";
  id: number;
}

/** The response could not be produced or its body failed: answer 500 if nothing was sent yet, else reset. */
export interface FailMessage {
  type: "fail";
  id: number;
}

/** The worker is done with request `id` (the view settled, the body is sent or cancelled): it is free. */
export interface DoneMessage {
  type: "done";
  id: number;
}

/** Shutdown hooks ran; the worker may be terminated. */
export interface StoppedMessage {
  type: "stopped";
}

/** The view reads the request body: send its next bytes (one `body` message answers). */
export interface PullMessage {
  type: "pull";
  id: number;
}

/** What a worker sends about one request's response. */
export type ResponseMessage = HeadMessage | ChunkMessage | EndMessage | FailMessage;

// ---- one WebSocket, worker -> main thread ---------------------------------------------------------------

/** The socket route accepted request `id`: complete the handshake with this subprotocol and message limit. */
export interface UpgradeMessage {
  type: "upgrade";
  id: number;
  protocol: string;
  maxMessageSize: number;
}

/** A message for the peer; `bytes` (its size on the wire) comes back in `sent` once written. */
export interface SendMessage {
  type: "send";
  id: number;
  data: string | Uint8Array;
  bytes: number;
}

/** Start the closing handshake. */
export interface CloseMessage {
  type: "close";
  id: number;
  code: number;
  reason: string;
}

/** Drop the connection without a close frame. */
export interface TerminateMessage {
  type: "terminate";
  id: number;
}

/** Ping the peer (the idle timer). */
export interface PingMessage {
  type: "ping";
  id: number;
}

export type SocketFromWorker = UpgradeMessage | SendMessage | CloseMessage | TerminateMessage | PingMessage;

// ---- rooms: worker -> main thread (the main thread keeps every room; each call is answered by `layer-reply`) ----

export interface SubscribeMessage {
  type: "subscribe";
  call: number;
  /** The worker's id for this subscription: deliveries carry it. */
  sub: number;
  room: string;
}

export interface UnsubscribeMessage {
  type: "unsubscribe";
  call: number;
  sub: number;
}

export interface PublishMessage {
  type: "publish";
  call: number;
  room: string;
  message: string | Uint8Array;
}

export type RoomsFromWorker = SubscribeMessage | UnsubscribeMessage | PublishMessage;

export type FromWorker =
  | ReadyMessage
  | FailedMessage
  | ResponseMessage
  | PullMessage
  | DoneMessage
  | StoppedMessage
  | SocketFromWorker
  | RoomsFromWorker;
