// serve(appModule) for the blocking baseline: an Express 5 front accepts connections and reads bodies; a fixed
// pool of threads runs the views, one request per thread from start to finish; the rest wait in a bounded queue.

import express from "express";
import { consoleLogger, errorResponse, HttpError } from "@asyncview/core";
import { DEFAULT_HOSTNAME, DEFAULT_PORT, installRuntime, processHooks, serverHandle } from "@asyncview/core/adapter";
import { NodeFront } from "@asyncview/node/front";
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

// The main thread guards errors nobody handled like any server; each worker thread guards its own (worker.ts).
installRuntime(processHooks(process));

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
  const logger = options.logger ?? consoleLogger;

  const crashOnUnhandled = options.crashOnUnhandled ?? false;
  const pool = new WorkerPool({ size: threads, queueSize, appModule: String(appModule), logger, crashOnUnhandled });
  await pool.start();

  let nextId = 0;
  const jobs = new Set<Job>();
  const closing = () => front.closing;
  const front: NodeFront = new NodeFront(
    "blocking",
    (req, res, url) => {
      front.enter();
      const exchange = new Exchange(nextId++, req, res, url, closing);
      let job: Job | undefined;
      res.once("close", () => {
        if (job !== undefined && !res.writableFinished) pool.cancel(job, front.closing ? "server shutting down" : "client disconnected");
        if (job !== undefined) jobs.delete(job);
        front.leave();
      });
      void exchange.request(maxBodySize).then((message) => {
        if (message === null || res.destroyed) return;
        job = { message, exchange };
        jobs.add(job);
        if (!pool.submit(job)) exchange.respond(queueFull(queueSize), false);
      });
    },
    { wrap: (listener) => express().disable("x-powered-by").use((req, res) => listener(req, res)), limits: options, logger },
  );

  try {
    await front.listen(options.port ?? DEFAULT_PORT, options.hostname ?? DEFAULT_HOSTNAME);
  } catch (error) {
    await pool.stop(0);
    throw error;
  }
  const server = serverHandle(
    {
      runtime: "blocking",
      logger,
      hostname: front.hostname,
      port: front.port,
      drain: () => front.drain(),
      // Past the deadline: abort what the threads still hold, then drop the connections.
      cut: () => {
        for (const job of jobs) pool.cancel(job, "server shutting down");
        return front.cut();
      },
      release: (timeLeft) => pool.stop(timeLeft),
    },
    options,
  );
  return { ...server, runtime: "blocking", threads, queueSize };
}
