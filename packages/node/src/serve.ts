// serve(app) on node:http: the uvicorn analog for Node. Lazy request facade in, backpressured writes out,
// ctx.signal aborted on client disconnect (never on a normal finish), the shared lifecycle for close.

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import type { ServerResponse } from "node:http";
import { type App, errorResponse, type ServeOptions, type Server } from "@asyncview/core";
import {
  DEFAULT_HOSTNAME,
  installRuntime,
  type ListenPlan,
  logResponseFailure,
  processHooks,
  type ServeInfo,
  serverHandle,
  serveWorkers,
} from "@asyncview/core/adapter";
import { NodeFront } from "./front.ts";
import { NodeRequest } from "./request.ts";
import { writeResponse } from "./response.ts";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], ...processHooks(process) });

/**
 * One request in flight. Its AbortController, and the socket listener that fires it on disconnect,
 * exist only once someone reads `signal`: a view that never looks pays nothing for it.
 */
class InFlight implements ServeInfo {
  readonly runtime = "node" as const;
  readonly #res: ServerResponse;
  readonly #front: NodeFront;
  #controller: AbortController | undefined;

  constructor(res: ServerResponse, front: NodeFront) {
    this.#res = res;
    this.#front = front;
  }

  get remoteAddress(): string | undefined {
    return this.#res.socket?.remoteAddress;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const res = this.#res;
    const onClose = () => {
      if (res.writableFinished) return; // a normal finish: nothing to cancel
      const reason = this.#front.closing ? "server shutting down" : "client disconnected";
      controller.abort(new DOMException(reason, "AbortError"));
    };
    if (res.destroyed) onClose();
    else res.once("close", onClose);
    return controller.signal;
  }
}

/** Serves `app`; with `workers` (or `limitMaxRequests`) from worker processes under a supervisor (core's supervisor.ts). */
export function serve(app: App, options: ServeOptions = {}): Promise<Server> {
  return serveWorkers(options, { runtime: "node", current: process, spawn }, (plan) => serveHere(app, options, plan));
}

async function serveHere(app: App, options: ServeOptions, plan: ListenPlan): Promise<Server> {
  const front: NodeFront = new NodeFront("node", (req, res, url) => {
    front.enter();
    const state = new InFlight(res, front);
    const request = new NodeRequest(req, url, () => state.signal) as unknown as Request;
    // writeResponse also closes (lingering) when the request body is still arriving.
    const respond = (response: Response): void | Promise<void> => writeResponse(res, response, front.closing);
    const fail = (error: unknown) => {
      logResponseFailure(app, { method: req.method, url }, error, res.headersSent);
      if (!res.headersSent && !res.destroyed) void respond(errorResponse(error, app.debug));
    };
    // Synchronous views are answered synchronously; anything async settles through one promise chain.
    try {
      const result = app.handle(request, state);
      const written = result instanceof Promise ? result.then(respond) : respond(result);
      if (written instanceof Promise) {
        written.catch(fail).finally(() => front.leave());
        return;
      }
    } catch (error) {
      fail(error);
    }
    front.leave();
  }, { limits: options, logger: app.logger });

  await app.startup();
  await front.listen(plan.port, options.hostname ?? DEFAULT_HOSTNAME, plan.reusePort);
  if (plan.onRequest) front.server.on("request", plan.onRequest);
  return serverHandle(
    {
      runtime: "node",
      logger: app.logger,
      hostname: front.hostname,
      port: front.port,
      drain: () => front.drain(),
      cut: () => front.cut(),
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
