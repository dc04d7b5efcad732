// serve(appModule) for the blocking baseline: an Express 5 front accepts connections; a fixed pool of threads runs
// the views (pulling request bodies as they read them), one request or WebSocket per thread; the rest wait in a
// bounded queue. The main thread completes WebSocket handshakes with `ws` and keeps the rooms every thread shares.

import { spawn } from "node:child_process";
import express from "express";
import { consoleLogger, errorResponse, HttpError, type Server } from "@asyncview/core";
import { DEFAULT_HOSTNAME, installRuntime, type ListenPlan, processHooks, RequestPipeline, serverHandle, serveWorkers, shuttingDown } from "@asyncview/core/adapter";
import { type FrontUpgrade, headerReader, NodeFront, wantsWebSocket, WebSocketAcceptor } from "@asyncview/node/front";
import { Exchange } from "./exchange.ts";
import {
  type BlockingServeOptions,
  type BlockingServer,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_QUEUE_SIZE,
  defaultThreads,
  integerOption,
  RETRY_AFTER_SECONDS,
} from "./options.ts";
import { type Job, WorkerPool } from "./pool.ts";
import { RoomHub } from "./room-hub.ts";
import { SocketExchange } from "./socket-exchange.ts";

// The main thread guards errors nobody handled like any server; each worker thread guards its own (worker.ts). Its
// env reader lets log lines name the worker process (serve({ workers })); stdout takes the access log.
installRuntime({ env: (name) => process.env[name], stdout: (text) => void process.stdout.write(text), ...processHooks(process) });

function queueFull(queueSize: number): Response {
  return errorResponse(
    new HttpError(503, `all worker threads are busy and ${queueSize} requests or sockets are already waiting; retry later`, {
      code: "queue_full",
      details: { queueSize },
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    }),
  );
}

/** The answer to a request still waiting for a thread when the server began closing. */
/**
 * Serves the app exported by `appModule` (a path's file: URL; its default export or `app`). Each thread imports
 * the module itself, so the app must be importable by path, and each thread has its own module state. With `workers`
 * (or `limitMaxRequests`), worker processes of `threads` threads each under a supervisor: gunicorn's sync model.
 */
export async function serve(appModule: string | URL, options: BlockingServeOptions = {}): Promise<BlockingServer> {
  const threads = integerOption("threads", options.threads, 1, defaultThreads());
  const queueSize = integerOption("queueSize", options.queueSize, 0, DEFAULT_QUEUE_SIZE);
  const server = await serveWorkers(options, { runtime: "blocking", current: process, spawn }, (plan) =>
    serveHere(appModule, options, plan, threads, queueSize),
  );
  return { ...server, runtime: "blocking", threads, queueSize };
}

async function serveHere(
  appModule: string | URL,
  options: BlockingServeOptions,
  plan: ListenPlan,
  threads: number,
  queueSize: number,
): Promise<Server> {
  const maxBodySize = integerOption("maxBodySize", options.maxBodySize, 0, DEFAULT_MAX_BODY_SIZE);
  const logger = options.logger ?? consoleLogger;

  const crashOnUnhandled = options.crashOnUnhandled ?? false;
  const rooms = new RoomHub();
  const pool = new WorkerPool({ size: threads, queueSize, appModule: String(appModule), logger, crashOnUnhandled, rooms });
  await pool.start();

  // The gate, the deadline, proxy headers and the access log run here in the front: threads are the scarce resource.
  const pipeline = new RequestPipeline(options);
  let nextId = 0;
  const jobs = new Set<Job>();
  const closing = () => front.closing;
  const sockets = new Set<SocketExchange>();
  const acceptor = new WebSocketAcceptor();
  /**
   * A WebSocket upgrade is a job like a request: it waits in the queue until a thread is free (the handshake stays
   * unanswered meanwhile: the view, its middleware and origin checks run in the thread), or gets 503 when the queue is
   * full. The thread that accepts it holds the socket until it closes.
   */
  const upgrade: FrontUpgrade = {
    wants: wantsWebSocket,
    handle(req, socket, head, url) {
      front.enter();
      const exchange = new SocketExchange(nextId++, req, socket, head, url, acceptor);
      // The gate and the access log: a socket holds its place under limitConcurrency until it closes.
      const { remoteAddress, remotePort } = req.socket;
      const passage = pipeline.begin({ runtime: "blocking", remoteAddress, remotePort }, req.method ?? "GET", url, headerReader(req), req.httpVersion);
      void exchange.handshake.then(() => front.leave());
      if (!passage.admitted) {
        exchange.respond(passage.answer(passage.refusal()));
        passage.end();
        return;
      }
      const job: Job = { message: exchange.request(), exchange };
      sockets.add(exchange);
      void exchange.finished.then(() => {
        sockets.delete(exchange);
        passage.end(101);
      });
      socket.once("close", () => {
        if (exchange.gone && pool.cancel(job, front.closing ? "server shutting down" : "client disconnected")) exchange.dropped();
      });
      if (!pool.submit(job)) exchange.respond(front.closing ? errorResponse(shuttingDown()) : queueFull(queueSize));
    },
  };
  const front: NodeFront = new NodeFront(
    "blocking",
    (req, res, url) => {
      front.enter();
      const exchange = new Exchange(nextId++, req, res, url, closing, maxBodySize);
      const { remoteAddress, remotePort } = req.socket;
      const passage = pipeline.begin({ runtime: "blocking", remoteAddress, remotePort }, req.method ?? "GET", url, headerReader(req), req.httpVersion);
      let job: Job | undefined;
      res.once("close", () => {
        if (job !== undefined && !res.writableFinished) pool.cancel(job, front.closing ? "server shutting down" : "client disconnected");
        if (job !== undefined) jobs.delete(job);
        exchange.release();
        passage.end(res.writableFinished ? res.statusCode : 499, exchange.bytes); // 499: the client left first
        front.leave();
      });
      if (!passage.admitted) return exchange.respond(passage.answer(passage.refusal()), false);
      // The deadline covers the time to the response head, as on the other adapters: then the thread is told (its
      // ctx.signal aborts with a TimeoutError) and the client gets the 503.
      passage.onDeadline(() => {
        if (res.headersSent) return;
        if (job !== undefined) pool.cancel(job, "request timeout", "TimeoutError");
        exchange.respond(passage.answer(passage.timeoutResponse()), false);
      });
      const message = exchange.request();
      if (message === null) return;
      Object.assign(message, { remotePort, client: passage.client, clientUrl: passage.url, requestId: passage.requestId });
      job = { message, exchange };
      jobs.add(job);
      if (!pool.submit(job)) exchange.respond(front.closing ? errorResponse(shuttingDown()) : queueFull(queueSize), false);
    },
    { wrap: (listener) => express().disable("x-powered-by").use((req, res) => listener(req, res)), limits: options, logger, upgrade },
  );

  try {
    await front.listen(plan.port, options.hostname ?? DEFAULT_HOSTNAME, plan.reusePort);
  } catch (error) {
    await pool.stop(0);
    throw error;
  }
  if (plan.onRequest) front.server.on("request", plan.onRequest);
  return serverHandle(
    {
      runtime: "blocking",
      logger,
      hostname: front.hostname,
      port: front.port,
      // Requests and sockets still waiting for a thread are answered 503 at once; the requests the threads hold
      // finish, their open sockets get 1001 (after what their handlers sent) and the threads wait for them to close.
      drain: async () => {
        const draining = front.drain();
        for (const job of pool.shed()) job.exchange.respond(errorResponse(shuttingDown()), true);
        for (const socket of sockets) socket.goAway();
        await Promise.all([draining, ...[...sockets].map((socket) => socket.finished)]);
      },
      // Past the deadline: abort what the threads still hold, then drop the connections (sockets included; a
      // handler that never returns keeps its thread until the pool stops it, not the close).
      cut: () => {
        for (const job of jobs) pool.cancel(job, "server shutting down");
        for (const socket of sockets) socket.cut();
        return front.cut();
      },
      release: async (timeLeft) => {
        await pool.stop(timeLeft);
        await rooms.close();
      },
    },
    options,
  );
}
