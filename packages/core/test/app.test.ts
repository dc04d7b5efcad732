// Unit tests for App: routing answers (404, 405 + Allow, HEAD, OPTIONS), middleware order, mounting,
// lifespan hooks, error handling and waitUntil, all through `app.fetch` with in-memory Requests.

import { describe, expect, expectTypeOf, it } from "vitest";
import { App } from "../src/app.ts";
import { HttpError } from "../src/errors.ts";
import { json, text } from "../src/responses.ts";
import { silentLogger } from "../src/logger.ts";
import { sleep } from "../src/sleep.ts";
import { recordingLogger, req } from "./helpers.ts";

function app(): App {
  return new App({ logger: silentLogger });
}

describe("routing", () => {
  it("calls the view with decoded params, query and route", async () => {
    const a = app().get("/users/:id", (_req, ctx) =>
      json({ id: ctx.params.id, tags: ctx.query.getAll("tag"), route: ctx.route, runtime: ctx.runtime }),
    );
    const res = await a.fetch(req("/users/J%C3%BCrgen?tag=a&tag=b"), { runtime: "node" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "Jürgen", tags: ["a", "b"], route: "/users/:id", runtime: "node" });
  });

  it("parses ctx.query from the URL string as url.searchParams would, without a URL object", async () => {
    const a = app().get("/q", (_req, ctx) => json({ query: [...ctx.query], sameAfterUrl: ctx.query === ctx.url.searchParams }));
    a.get("/u", (_req, ctx) => json({ same: ctx.url.searchParams === ctx.query }));
    const queries = ["", "?", "?a", "?a=1&a=2&b=", "?x=%zz&y=%41+%42&z=caf%C3%A9", "?q=J\u00fcrgen&e=%F0%9F%98%80", "?k=a%26b&=v&&", "?a=1#frag"];
    for (const query of queries) {
      const url = `http://localhost/q${query}`;
      const body = (await (await a.fetch(new Request(url))).json()) as { query: string[][]; sameAfterUrl: boolean };
      expect(body.query, query).toEqual([...new URL(url).searchParams]);
      expect(body.sameAfterUrl).toBe(false);
    }
    // A trusted proxy's URL (ServeInfo.url) is the one parsed, fragment and all cut.
    const proxied = await a.fetch(new Request("http://localhost/q?a=inner"), { url: "https://example.com/q?a=outer#x" });
    expect(((await proxied.json()) as { query: string[][] }).query).toEqual([["a", "outer"]]);
    // Read after ctx.url, it is that URL's own searchParams.
    expect(await (await a.fetch(new Request("http://localhost/u?a=1"))).json()).toEqual({ same: true });
  });

  it("types params from the pattern", () => {
    app().get("/a/:x/b/:y/*", (_req, ctx) => {
      expectTypeOf(ctx.params).toEqualTypeOf<{ x: string; y: string; "*": string }>();
      return text("ok");
    });
  });

  it("answers 404 with a JSON error naming the path", async () => {
    const res = await app().get("/a", () => text("a")).fetch(req("/b"));
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: { status: 404, code: "not_found", message: "no route matches GET /b" },
    });
  });

  it("answers 405 with an Allow header listing the route's methods", async () => {
    const a = app()
      .get("/item", () => text("get"))
      .put("/item", () => text("put"));
    const res = await a.fetch(req("/item", { method: "DELETE" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, PUT");
    const body = (await res.json()) as { error: { code: string; details: { allow: string[] } } };
    expect(body.error.code).toBe("method_not_allowed");
    expect(body.error.details.allow).toEqual(["GET", "HEAD", "OPTIONS", "PUT"]);
  });

  it("answers OPTIONS with 204 and Allow unless a view handles it", async () => {
    const a = app()
      .post("/form", () => text("posted"))
      .route("OPTIONS", "/custom", () => text("mine"));
    const res = await a.fetch(req("/form", { method: "OPTIONS" }));
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("OPTIONS, POST");
    expect(await (await a.fetch(req("/custom", { method: "OPTIONS" }))).text()).toBe("mine");
  });

  it("answers HEAD through the GET view with its headers and no body", async () => {
    const a = app().get("/doc", () => text("hello body", { headers: { "x-extra": "1" } }));
    const res = await a.fetch(req("/doc", { method: "HEAD" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-extra")).toBe("1");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.body).toBeNull();
  });

  it("routes custom and unusual methods", async () => {
    const a = app().route(["PROPFIND", "PURGE"], "/dav", (r) => text(r.method));
    expect(await (await a.fetch(req("/dav", { method: "PROPFIND" }))).text()).toBe("PROPFIND");
    expect((await a.fetch(req("/dav", { method: "GET" }))).status).toBe(405);
  });

  it("all() registers the common methods", async () => {
    const a = app().all("/any", (r) => text(r.method));
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
      expect(await (await a.fetch(req("/any", { method }))).text()).toBe(method);
    }
  });

  it("answers 400 for malformed percent-encoding in the path", async () => {
    const res = await app()
      .get("/f/:name", () => text("x"))
      .fetch(req("/f/%ZZ"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("bad_path");
  });

  it("matches method and path together: a later route with the method wins over an earlier path match", async () => {
    const a = app()
      .get("/files/*", (_r, ctx) => json({ route: ctx.route, params: ctx.params }))
      .post("/files/:id", (_r, ctx) => json({ route: ctx.route, params: ctx.params }))
      .get("/users/me", (_r, ctx) => json({ route: ctx.route }))
      .post("/users/:id", (_r, ctx) => json({ route: ctx.route, params: ctx.params }));
    const post = await a.fetch(req("/files/1", { method: "POST" }));
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ route: "/files/:id", params: { id: "1" } });
    expect(await (await a.fetch(req("/files/1"))).json()).toEqual({ route: "/files/*", params: { "*": "1" } });
    const me = await a.fetch(req("/users/me", { method: "POST" }));
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ route: "/users/:id", params: { id: "me" } });
    expect(await (await a.fetch(req("/users/me"))).json()).toEqual({ route: "/users/me" });
    const head = await a.fetch(req("/users/me", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it("answers 405 with the union of every matching route's methods, and OPTIONS with the same", async () => {
    const a = app()
      .get("/files/*", () => text("file"))
      .post("/files/:id", () => text("posted"))
      .route("PUT", "/files/:name", () => text("put"));
    const res = await a.fetch(req("/files/1", { method: "DELETE" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST, PUT");
    const body = (await res.json()) as { error: { code: string; details: { allow: string[] } } };
    expect(body.error.details.allow).toEqual(["GET", "HEAD", "OPTIONS", "POST", "PUT"]);
    const options = await a.fetch(req("/files/1", { method: "OPTIONS" }));
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST, PUT");
    // Only routes that match the path count: /files/a/b matches the wildcard alone.
    expect((await a.fetch(req("/files/a/b", { method: "POST" }))).headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("tries static routes, then params, then wildcards, each in registration order", async () => {
    const a = app()
      .get("/a/*", (_r, ctx) => text(ctx.route!))
      .get("/a/:x", (_r, ctx) => text(ctx.route!))
      .get("/a/:y", (_r, ctx) => text(ctx.route!))
      .get("/a/b", (_r, ctx) => text(ctx.route!));
    expect(await (await a.fetch(req("/a/b"))).text()).toBe("/a/b");
    expect(await (await a.fetch(req("/a/c"))).text()).toBe("/a/:x");
    expect(await (await a.fetch(req("/a/c/d"))).text()).toBe("/a/*");
  });

  it("refuses new routes once it has served", async () => {
    const a = app().get("/", () => text("root"));
    await a.fetch(req("/"));
    expect(() => a.get("/late", () => text("late"))).toThrow(/before the app serves/);
  });
});

describe("middleware", () => {
  it("runs onion-style in registration order and sees the route", async () => {
    const order: string[] = [];
    const a = app()
      .use(async (_r, _c, next) => {
        order.push("outer in");
        const res = await next();
        order.push("outer out");
        res.headers.set("x-outer", "1");
        return res;
      })
      .use(async (_r, ctx, next) => {
        order.push("inner in");
        const res = await next();
        order.push(`inner out ${ctx.route}`);
        return res;
      })
      .get("/x/:id", () => {
        order.push("view");
        return text("done");
      });
    const res = await a.fetch(req("/x/1"));
    expect(await res.text()).toBe("done");
    expect(res.headers.get("x-outer")).toBe("1");
    expect(order).toEqual(["outer in", "inner in", "view", "inner out /x/:id", "outer out"]);
  });

  it("can answer without calling next()", async () => {
    let viewRan = false;
    const a = app()
      .use((r, _c, next) => (r.headers.get("authorization") ? next() : json({ denied: true }, 401)))
      .get("/secret", () => {
        viewRan = true;
        return text("secret");
      });
    const res = await a.fetch(req("/secret"));
    expect(res.status).toBe(401);
    expect(viewRan).toBe(false);
  });

  it("gets error responses from next(): an HttpError, the router's 404 and 405, a 500; ctx.error is what was thrown", async () => {
    const log = recordingLogger();
    const seen: [number, unknown][] = [];
    const a = new App({ logger: log })
      .use(async (_r, ctx, next) => {
        const res = await next();
        seen.push([res.status, ctx.error]);
        return res;
      })
      .get("/", () => text("root"))
      .get("/teapot", () => {
        throw new HttpError(418, "short and stout");
      })
      .get("/boom", async () => {
        await sleep(1);
        throw new Error("kaboom");
      });
    for (const [path, method] of [["/", "GET"], ["/teapot", "GET"], ["/missing", "GET"], ["/", "POST"], ["/boom", "GET"]]) {
      await a.fetch(req(path!, { method }));
    }
    expect(seen.map(([status]) => status)).toEqual([200, 418, 404, 405, 500]);
    expect(seen[0]![1]).toBeUndefined();
    expect(seen.slice(1, 4).map(([, error]) => (error as HttpError).status)).toEqual([418, 404, 405]);
    expect((seen[4]![1] as Error).message).toBe("kaboom");
    // Logged once, as without middleware: the 500 only.
    expect(log.records.map((r) => [r.message, (r.fields?.error as Error).message])).toEqual([["request failed", "kaboom"]]);
  });

  it("may replace an error response, and a rethrown ctx.error is not logged twice", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log })
      .use(async (_r, ctx, next) => {
        const res = await next();
        if (res.status === 404) return text("custom not found", 404);
        if (ctx.error !== undefined) throw ctx.error;
        return res;
      })
      .get("/boom", () => {
        throw new Error("kaboom");
      });
    const missing = await a.fetch(req("/missing"));
    expect([missing.status, await missing.text()]).toEqual([404, "custom not found"]);
    expect((await a.fetch(req("/boom"))).status).toBe(500);
    expect(log.records).toHaveLength(1);
  });

  it("turns a failing inner middleware into a 500 for the outer one; a cancelled request's 499 is not logged", async () => {
    const log = recordingLogger();
    const statuses: number[] = [];
    const gone = new AbortController();
    gone.abort(new DOMException("client disconnected", "AbortError"));
    const a = new App({ logger: log })
      .use(async (_r, _c, next) => {
        const res = await next();
        statuses.push(res.status);
        return res;
      })
      .use((r) => {
        if (r.headers.has("x-fail")) throw new Error("inner middleware failed");
        throw gone.signal.reason;
      })
      .get("/", () => text("root"));
    expect((await a.fetch(req("/", { headers: { "x-fail": "1" } }))).status).toBe(500);
    expect((await a.fetch(req("/"), { signal: gone.signal })).status).toBe(499);
    expect(statuses).toEqual([500, 499]);
    expect(log.records.map((r) => (r.fields?.error as Error).message)).toEqual(["inner middleware failed"]);
  });

  it("refuses next() called twice", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log })
      .use(async (_r, _c, next) => {
        await next();
        return next();
      })
      .get("/", () => text("root"));
    const res = await a.fetch(req("/"));
    expect(res.status).toBe(500);
    expect(String((log.records[0]?.fields?.error as Error).message)).toMatch(/next\(\) called more than once/);
  });

  it("shares ctx.state between middleware and view", async () => {
    const a = app()
      .use((_r, ctx, next) => {
        ctx.state.set("user", "ada");
        return next();
      })
      .get("/me", (_r, ctx) => json({ user: ctx.state.get("user") }));
    expect(await (await a.fetch(req("/me"))).json()).toEqual({ user: "ada" });
  });
});

describe("mount", () => {
  it("serves a sub-app under a prefix with its own middleware and the full route", async () => {
    const api = app()
      .use(async (_r, _c, next) => {
        const res = await next();
        res.headers.set("x-api", "yes");
        return res;
      })
      .get("/", () => text("api root"))
      .get("/users/:id", (_r, ctx) => json({ id: ctx.params.id, route: ctx.route }));
    const a = app().get("/", () => text("site root")).mount("/api", api);

    expect(await (await a.fetch(req("/"))).text()).toBe("site root");
    expect(await (await a.fetch(req("/api"))).text()).toBe("api root");
    const res = await a.fetch(req("/api/users/9"));
    expect(res.headers.get("x-api")).toBe("yes");
    expect(await res.json()).toEqual({ id: "9", route: "/api/users/:id" });
    expect((await a.fetch(req("/apiary"))).status).toBe(404);
  });

  it("lets a mounted app serve a method the parent's matching route lacks, and unites their methods for 405", async () => {
    const api = app().post("/items", (_r, ctx) => json({ by: "api", route: ctx.route }));
    const a = app()
      .get("/api/*", (_r, ctx) => json({ by: "root", route: ctx.route }))
      .mount("/api", api);
    const post = await a.fetch(req("/api/items", { method: "POST" }));
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ by: "api", route: "/api/items" });
    expect(await (await a.fetch(req("/api/items"))).json()).toEqual({ by: "root", route: "/api/*" });
    const res = await a.fetch(req("/api/items", { method: "DELETE" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    const options = await a.fetch(req("/api/items", { method: "OPTIONS" }));
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
  });

  it("tries the parent's routes with the method first, then mounts in order, nested ones included", async () => {
    const inner = app().route(["GET", "PUT"], "/x", () => text("inner"));
    const first = app().get("/v2/x", () => text("first")).mount("/v2", inner);
    const second = app().put("/v2/:any", () => text("second"));
    const a = app().patch("/api/v2/x", () => text("root")).mount("/api", first).mount("/api", second);
    expect(await (await a.fetch(req("/api/v2/x", { method: "PATCH" }))).text()).toBe("root");
    expect(await (await a.fetch(req("/api/v2/x"))).text()).toBe("first");
    expect(await (await a.fetch(req("/api/v2/x", { method: "PUT" }))).text()).toBe("inner");
    const res = await a.fetch(req("/api/v2/x", { method: "DELETE" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, PATCH, PUT");
    expect((await a.fetch(req("/api/v3"))).status).toBe(404);
  });

  it("refuses routes, middleware and mounts on a mounted app once the parent has served", async () => {
    const grandchild = app();
    const child = app().get("/", () => text("child")).mount("/deeper", grandchild);
    const parent = app().mount("/child", child);
    await parent.fetch(req("/child"));
    for (const sealed of [child, grandchild]) {
      expect(() => sealed.get("/late", () => text("late"))).toThrow(/before the app serves its first request/);
      expect(() => sealed.use((_r, _c, next) => next())).toThrow(/before the app serves its first request/);
      expect(() => sealed.mount("/more", app())).toThrow(/before the app serves its first request/);
    }
    expect((await parent.fetch(req("/child/late"))).status).toBe(404);
  });

  it("rejects bad prefixes and self-mounting", () => {
    const a = app();
    expect(() => a.mount("api", app())).toThrow(/mount prefix/);
    expect(() => a.mount("/api/", app())).toThrow(/mount prefix/);
    expect(() => a.mount("/self", a)).toThrow(/cannot mount itself/);
  });
});

describe("lifespan", () => {
  it("runs startup hooks once, mounted apps first, and shutdown hooks after background work", async () => {
    const events: string[] = [];
    const child = app()
      .onStartup(() => void events.push("child start"))
      .onShutdown(() => void events.push("child stop"));
    let release!: () => void;
    const a = app()
      .mount("/child", child)
      .onStartup(async () => void events.push("parent start"))
      .onShutdown(() => void events.push("parent stop"))
      .get("/bg", (_r, ctx) => {
        ctx.waitUntil(new Promise<void>((resolve) => (release = resolve)).then(() => void events.push("bg done")));
        return text("queued");
      });
    await Promise.all([a.startup(), a.startup()]);
    expect(events).toEqual(["child start", "parent start"]);

    await a.fetch(req("/bg"));
    expect(a.tasks.size).toBe(1);
    const stopped = a.shutdown();
    setTimeout(() => release(), 20);
    await stopped;
    expect(events).toEqual(["child start", "parent start", "bg done", "parent stop", "child stop"]);
  });

  it("warns and goes on when background work outlives the shutdown deadline", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/", (_r, ctx) => {
      ctx.waitUntil(new Promise(() => {}));
      return text("ok");
    });
    let hookRan = false;
    a.onShutdown(() => void (hookRan = true));
    await a.fetch(req("/"));
    await a.shutdown({ timeout: 30 });
    expect(hookRan).toBe(true);
    expect(log.records.some((r) => r.level === "warn" && r.fields?.pending === 1)).toBe(true);
  });

  it("logs a failing shutdown hook and still runs the next", async () => {
    const log = recordingLogger();
    let second = false;
    const a = new App({ logger: log })
      .onShutdown(() => {
        throw new Error("hook broke");
      })
      .onShutdown(() => void (second = true));
    await a.shutdown();
    expect(second).toBe(true);
    expect(log.records.map((r) => r.message)).toContain("shutdown hook failed");
  });

  it("propagates a failing startup hook", async () => {
    const a = app().onStartup(() => {
      throw new Error("no database");
    });
    await expect(a.startup()).rejects.toThrow("no database");
  });

  it("rejects with an Error naming the value when a startup hook throws something other than an Error", async () => {
    const thrown = app().onStartup(() => {
      throw "no database";
    });
    await expect(thrown.startup()).rejects.toThrow(new Error('startup hook threw a non-Error value: "no database"'));
    await expect(app().onStartup(() => Promise.reject(null)).startup()).rejects.toThrow(new Error("startup hook threw a non-Error value: null"));
  });

  it("gives up on a shutdown hook still running at the deadline, logs it by index and name at error level, and runs the next", async () => {
    const log = recordingLogger();
    let next = false;
    const a = new App({ logger: log })
      .onShutdown(function neverSettles() {
        return new Promise<void>(() => {});
      })
      .onShutdown(() => void (next = true));
    const started = Date.now();
    await a.shutdown({ timeout: 50 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(next).toBe(true);
    const record = log.records.find((r) => r.message.startsWith("shutdown hook did not finish"));
    expect(record).toMatchObject({ level: "error", fields: { hook: 0, name: "neverSettles" } });
  });
});

describe("errors", () => {
  it("turns a thrown error into a 500 JSON without the message, logged once", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/boom", () => {
      throw new Error("secret detail");
    });
    const res = await a.fetch(req("/boom"));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toEqual({ status: 500, code: "internal_error", message: "Internal Server Error" });
    expect(log.records.filter((r) => r.level === "error")).toHaveLength(1);
    expect(log.records[0]?.fields?.route).toBe("/boom");
  });

  it("shows the message and stack in debug mode", async () => {
    const a = new App({ logger: silentLogger, debug: true }).get("/boom", async () => {
      throw new Error("visible detail");
    });
    const body = (await (await a.fetch(req("/boom"))).json()) as { error: { message: string; stack: string } };
    expect(body.error.message).toBe("visible detail");
    expect(body.error.stack).toMatch(/visible detail/);
  });

  it("answers an HttpError with its status, code, details and headers, without logging 4xx", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/limited", () => {
      throw new HttpError(429, "slow down", { details: { retryAfter: 3 }, headers: { "retry-after": "3" } });
    });
    const res = await a.fetch(req("/limited"));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({
      error: { status: 429, code: "too_many_requests", message: "slow down", details: { retryAfter: 3 } },
    });
    expect(log.records).toEqual([]);
  });

  it("refuses a view that returns something other than a Response", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/bad", (() => ({ not: "a response" })) as never);
    const res = await a.fetch(req("/bad"));
    expect(res.status).toBe(500);
    expect(String((log.records[0]?.fields?.error as Error).message)).toMatch(/\/bad returned an object/);
  });

  it("does not log a view cancelled through ctx.signal, and answers 499", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/wait", (_r, ctx) => sleep(10_000, { signal: ctx.signal }).then(() => text("late")));
    const controller = new AbortController();
    const pending = a.fetch(req("/wait"), { signal: controller.signal });
    controller.abort(new DOMException("client disconnected", "AbortError"));
    const res = await pending;
    expect(res.status).toBe(499);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("request_cancelled");
    expect(log.records).toEqual([]);
  });

  it("still logs an AbortError that did not come from ctx.signal", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/upstream", () => {
      throw new DOMException("upstream timed out", "AbortError");
    });
    expect((await a.fetch(req("/upstream"))).status).toBe(500);
    expect(log.records).toHaveLength(1);
  });

  it("keeps serving after a failure", async () => {
    let calls = 0;
    const a = app().get("/flaky", () => {
      calls += 1;
      if (calls === 1) throw new Error("first call fails");
      return text("fine");
    });
    expect((await a.fetch(req("/flaky"))).status).toBe(500);
    expect(await (await a.fetch(req("/flaky"))).text()).toBe("fine");
  });

  it("validates HttpError statuses", () => {
    expect(() => new HttpError(200, "nope")).toThrow(RangeError);
    expect(new HttpError(418, "teapot").code).toBe("client_error");
    expect(new HttpError(507, "full").code).toBe("server_error");
  });
});

describe("blocking detector", () => {
  it("no longer counts a view in flight after it threw synchronously", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log, blockingDetector: { thresholdMs: 50 } }).get("/sync-throw", () => {
      throw new Error("thrown before any await");
    });
    await a.startup();
    try {
      expect((await a.fetch(req("/sync-throw"))).status).toBe(500);
      const until = performance.now() + 150;
      while (performance.now() < until); // hold the loop outside any view so the drift sampler reports it
      await sleep(60);
      const stall = log.records.find((r) => r.message.startsWith("event loop blocked for about"));
      expect(stall?.fields?.inFlight).toEqual([]);
    } finally {
      await a.shutdown();
    }
  });
});

describe("handle()", () => {
  it("answers synchronously when the view does", () => {
    const a = app().get("/sync", () => text("now"));
    expect(a.handle(req("/sync"))).toBeInstanceOf(Response);
    expect(a.handle(req("/missing"))).toBeInstanceOf(Response);
  });

  it("returns a promise for an async view and never rejects", async () => {
    const a = app().get("/async", async () => {
      throw new Error("x");
    });
    const result = a.handle(req("/async"));
    expect(result).toBeInstanceOf(Promise);
    expect((await result).status).toBe(500);
  });
});

describe("context", () => {
  it("uses the adapter's signal, falling back to the request's", async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const a = app().get("/", (_r, ctx) => {
      seen = ctx.signal;
      return text("ok");
    });
    await a.fetch(req("/"), { signal: controller.signal });
    expect(seen).toBe(controller.signal);
    const request = req("/");
    await a.fetch(request);
    expect(seen).toBe(request.signal);
  });

  it("logs a failed waitUntil task with the route that started it", async () => {
    const log = recordingLogger();
    const a = new App({ logger: log }).get("/job/:id", (_r, ctx) => {
      ctx.waitUntil(Promise.reject(new Error("job failed")));
      return text("accepted", 202);
    });
    expect((await a.fetch(req("/job/1"))).status).toBe(202);
    expect(await a.tasks.drain(1000)).toBe(true);
    expect(log.records[0]?.message).toBe("waitUntil (/job/:id) failed");
  });
});
