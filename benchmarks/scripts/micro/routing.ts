// Routing hot path: core's App.handle for a static hit, a param route, a wildcard, a 404 and a 405, in-process.
// Requests built once up front; AsyncLocalStorage installed as every adapter does, so each op pays the request scope.

import { AsyncLocalStorage } from "node:async_hooks";
import { App, silentLogger, text } from "@asyncview/core";
import { installRuntime } from "@asyncview/core/adapter";
import type { Case } from "./timing.ts";

installRuntime({ AsyncLocalStorage });

const app = new App({ logger: silentLogger })
  .get("/hello", () => text("hi"))
  .get("/users/:id", (_request, c) => text(c.params.id ?? ""))
  .get("/files/*", () => text("file"))
  .post("/echo", () => text("echo"));
// More routes, so a lookup is not a one-entry table.
for (let i = 0; i < 20; i++) app.get(`/static/${i}`, () => text("s")).get(`/items/${i}/:id`, () => text("i"));

const base = "http://127.0.0.1:8000";
const requests = {
  static: new Request(`${base}/hello`),
  param: new Request(`${base}/users/42`),
  wildcard: new Request(`${base}/files/a/b/c.txt`),
  notFound: new Request(`${base}/nowhere`),
  notAllowed: new Request(`${base}/echo`), // GET on a POST-only route
};

const handle = (request: Request) => () => app.handle(request);

export const routingCases: Case[] = [
  { group: "routing", name: "static hit GET /hello", run: handle(requests.static) },
  { group: "routing", name: "param GET /users/:id", run: handle(requests.param) },
  { group: "routing", name: "wildcard GET /files/*", run: handle(requests.wildcard) },
  { group: "routing", name: "404 GET /nowhere", run: handle(requests.notFound) },
  { group: "routing", name: "405 GET /echo (POST only)", run: handle(requests.notAllowed) },
];
