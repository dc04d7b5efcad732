// serve(appModule) for the blocking baseline: an Express 5 front accepts connections and reads bodies; a fixed
// pool of threads runs the views, one request per thread from start to finish; the rest wait in a bounded queue.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import {
  type CloseOptions,
  consoleLogger,
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  errorResponse,
  formatUrl,
  HttpError,
} from "@asyncview/core";
import { Exchange } from "./exchange.ts";
import {
  ABORT_GRACE_MS,
  type BlockingServeOptions,
  type BlockingServer,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_QUEUE_SIZE,
  defaultThreads,
  integerOption,
  RETRY_AFTER_SECONDS,
} from "./options.ts";
import { type Job, WorkerPool } from "./pool.ts";

function queueFull(queueSize: number): Response {
  return errorResponse(
    new HttpError(503, `all worker threads are busy and ${queueSize} requests are already waiting; retry later`, {
      code: "queue_full",
      details: { queueSize },
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    }),
  );
}

/**
 * Serves the app exported by `appModule` (a path's file: URL; its default export or `app`). Each thread imports
 * the module itself, so the app must be importable by path, and each thread has its own module state.
 */
export async function serve(appModule: string | URL, options: BlockingServeOptions = {}): Promise<BlockingServer> {
  const threads = integerOption("threads", options.threads, 1, defaultThreads());
  const queueSize = integerOption("queueSize", options.queueSize, 0, DEFAULT_QUEUE_SIZE);
  const maxBodySize = integerOption("maxBodySize", options.maxBodySize, 0, DEFAULT_MAX_BODY_SIZE);
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const shutdownTimeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  const logger = options.logger ?? consoleLogger;

  const pool = new WorkerPool({ size: threads, queueSize, appModule: String(appModule), logger });
  await pool.start();

  let nextId = 0;
  let inflight = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  let fallbackHost = "";
  const jobs = new Set<Job>();

  const front = express();
  front.disable("x-powered-by");
  front.use((req, res) => {
    inflight++;
    const exchange = new Exchange(nextId++, req, res, () => closing);
    let job: Job | undefined;
    res.once("close", () => {
      if (job !== undefined && !res.writableFinished) pool.cancel(job, closing ? "server shutting down" : "client disconnected");
      if (job !== undefined) jobs.delete(job);
      if (--inflight === 0) idle?.();
    });
    void exchange.request(maxBodySize, fallbackHost).then((message) => {
      if (message === null || res.destroyed) return;
      job = { message, exchange };
      jobs.add(job);
      if (!pool.submit(job)) exchange.respond(queueFull(queueSize), false);
    });
  });

  const server = createServer(front);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    await pool.stop(0);
    throw new Error(`cannot listen on ${hostname}:${options.port ?? DEFAULT_PORT}: ${error.code ?? error.message}`, { cause: error });
  });
  const port = (server.address() as AddressInfo).port;
  const url = formatUrl(hostname, port);
  fallbackHost = url.slice("http://".length);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing$: Promise<void> | undefined;

  const untilIdle = async (ms: number) => {
    if (inflight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      idle = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  };

  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing$ ??= (async () => {
      closing = true;
      const timeout = closeOptions.timeout ?? shutdownTimeout;
      const started = Date.now();
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await untilIdle(timeout);
      // Past the deadline: abort what the threads still hold and drop the connections.
      if (inflight > 0) {
        for (const job of jobs) pool.cancel(job, "server shutting down");
        server.closeAllConnections();
        await untilIdle(ABORT_GRACE_MS);
      }
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), ABORT_GRACE_MS);
      await listenerClosed;
      clearTimeout(grace);
      await pool.stop(Math.max(0, timeout - (Date.now() - started)));
      resolveClosed();
    })();
    return closing$;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  return { runtime: "blocking", url, hostname, port, threads, queueSize, close, closed };
}
