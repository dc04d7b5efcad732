// Unit tests for path patterns and lookup: method and path together, route order, the Allow union, static, params,
// wildcard, percent-decoding, registration errors.

import { describe, expect, it } from "vitest";
import { HttpError } from "../src/errors.ts";
import { parsePattern, Router } from "../src/router.ts";

function router(...routes: [string, string][]): Router<string> {
  const r = new Router<string>();
  for (const [method, pattern] of routes) r.add(method, pattern, `${method} ${pattern}`);
  return r;
}

describe("parsePattern", () => {
  it("splits static segments, params and a trailing wildcard", () => {
    expect(parsePattern("/a/:b/c")).toEqual({ segments: ["a", ":b", "c"], wildcard: false });
    expect(parsePattern("/files/*")).toEqual({ segments: ["files"], wildcard: true });
    expect(parsePattern("/")).toEqual({ segments: [""], wildcard: false });
  });

  it("rejects bad patterns with a message naming the problem", () => {
    expect(() => parsePattern("no-slash")).toThrow(/must start with "\/"/);
    expect(() => parsePattern("/a/*/b")).toThrow(/must be the last segment/);
    expect(() => parsePattern("/:1x")).toThrow(/bad parameter name "1x"/);
    expect(() => parsePattern("/:id/:id")).toThrow(/appears twice/);
  });
});

describe("Router.match", () => {
  it("finds static routes by method and path, the same prebuilt match each time", () => {
    const r = router(["GET", "/hello"], ["POST", "/hello"]);
    const m = r.match("GET", "/hello");
    expect(m).toEqual({ pattern: "/hello", params: {}, handler: "GET /hello" });
    expect(r.match("GET", "/hello")).toBe(m);
    expect(r.match("POST", "/hello")?.handler).toBe("POST /hello");
    expect(r.match("PUT", "/hello")).toBeNull();
    expect(r.match("GET", "/hello/")).toBeNull();
    expect(r.match("GET", "/nope")).toBeNull();
  });

  it("upper-cases methods", () => {
    expect(router(["get", "/x"]).match("GET", "/x")?.handler).toBe("get /x");
  });

  it("answers HEAD with a HEAD route, else the GET route", () => {
    const r = router(["GET", "/a"], ["GET", "/b/:x"], ["HEAD", "/b/:x"], ["POST", "/c"]);
    expect(r.match("HEAD", "/a")?.handler).toBe("GET /a");
    expect(r.match("HEAD", "/b/1")?.handler).toBe("HEAD /b/:x");
    expect(r.match("HEAD", "/c")).toBeNull();
  });

  it("matches method and path together, passing over routes on the path that lack the method", () => {
    const r = router(["GET", "/files/*"], ["POST", "/files/:id"], ["GET", "/users/me"], ["POST", "/users/:id"]);
    expect(r.match("POST", "/files/1")).toEqual({ pattern: "/files/:id", params: { id: "1" }, handler: "POST /files/:id" });
    expect(r.match("GET", "/files/1")?.pattern).toBe("/files/*");
    expect(r.match("POST", "/users/me")).toEqual({ pattern: "/users/:id", params: { id: "me" }, handler: "POST /users/:id" });
    expect(r.match("GET", "/users/me")?.pattern).toBe("/users/me");
    expect(r.match("POST", "/users/caf%C3%A9")?.params).toEqual({ id: "café" });
    expect(r.match("DELETE", "/files/1")).toBeNull();
  });

  it("lists every method of every route on a path, and nothing for an unknown path", () => {
    const r = router(["GET", "/files/*"], ["POST", "/files/:id"], ["PUT", "/files/:name"], ["DELETE", "/files/1"]);
    const all = new Set<string>();
    r.allow("/files/1", all);
    expect([...all].sort()).toEqual(["DELETE", "GET", "POST", "PUT"]);
    const deep = new Set<string>();
    r.allow("/files/a/b", deep);
    expect([...deep]).toEqual(["GET"]);
    const none = new Set<string>();
    r.allow("/other", none);
    expect(none.size).toBe(0);
  });

  it("captures :params and decodes them, unicode included", () => {
    const r = router(["GET", "/users/:id/posts/:post"]);
    expect(r.match("GET", "/users/42/posts/7")?.params).toEqual({ id: "42", post: "7" });
    expect(r.match("GET", "/users/J%C3%BCrgen%20M/posts/%E2%9C%93")?.params).toEqual({ id: "Jürgen M", post: "✓" });
    expect(r.match("GET", "/users/a%2Fb/posts/1")?.params).toEqual({ id: "a/b", post: "1" });
  });

  it("does not match an empty param or a different segment count", () => {
    const r = router(["GET", "/users/:id"]);
    expect(r.match("GET", "/users/")).toBeNull();
    expect(r.match("GET", "/users/1/extra")).toBeNull();
  });

  it("gives the rest of the path to a trailing wildcard, possibly empty (as Hono does)", () => {
    const r = router(["GET", "/static/*"]);
    expect(r.match("GET", "/static/css/site.css")?.params).toEqual({ "*": "css/site.css" });
    expect(r.match("GET", "/static/")?.params).toEqual({ "*": "" });
    expect(r.match("GET", "/static")?.params).toEqual({ "*": "" });
    expect(r.match("GET", "/stat")).toBeNull();
  });

  it("prefers static routes, then params, then wildcards, each group in registration order", () => {
    const r = router(["GET", "/users/*"], ["GET", "/users/:id"], ["GET", "/users/:name"], ["GET", "/users/me"], ["GET", "/*"]);
    expect(r.match("GET", "/users/me")?.pattern).toBe("/users/me");
    expect(r.match("GET", "/users/5")?.pattern).toBe("/users/:id");
    expect(r.match("GET", "/users/5/posts")?.pattern).toBe("/users/*");
    expect(r.match("GET", "/anything/else")?.pattern).toBe("/*");
  });

  it("matches a static route whose path arrives percent-encoded", () => {
    const r = router(["GET", "/café"]);
    expect(r.match("GET", "/caf%C3%A9")?.pattern).toBe("/café");
  });

  it("answers malformed percent-encoding with HttpError 400 bad_path", () => {
    const r = router(["GET", "/users/:id"]);
    let caught: unknown;
    try {
      r.match("GET", "/users/%E0%A4%A");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpError);
    expect((caught as HttpError).status).toBe(400);
    expect((caught as HttpError).code).toBe("bad_path");
  });

  it("refuses the same method and pattern twice", () => {
    const r = router(["GET", "/a"], ["GET", "/b/:x"]);
    expect(() => r.add("GET", "/a", "again")).toThrow(/registered twice/);
    expect(() => r.add("GET", "/b/:x", "again")).toThrow(/registered twice/);
    expect(() => r.add("POST", "/b/:x", "fine")).not.toThrow();
  });
});
