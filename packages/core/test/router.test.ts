// Unit tests for path patterns and lookup: static, params, wildcard, percent-decoding, registration errors.

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
  it("finds static routes with every method registered on them", () => {
    const r = router(["GET", "/hello"], ["POST", "/hello"]);
    const m = r.match("/hello");
    expect(m?.pattern).toBe("/hello");
    expect([...m!.methods.keys()]).toEqual(["GET", "POST"]);
    expect(m?.params).toEqual({});
    expect(r.match("/hello/")).toBeNull();
    expect(r.match("/nope")).toBeNull();
  });

  it("upper-cases methods", () => {
    const m = router(["get", "/x"]).match("/x");
    expect(m?.methods.get("GET")).toBe("get /x");
  });

  it("captures :params and decodes them, unicode included", () => {
    const r = router(["GET", "/users/:id/posts/:post"]);
    expect(r.match("/users/42/posts/7")?.params).toEqual({ id: "42", post: "7" });
    expect(r.match("/users/J%C3%BCrgen%20M/posts/%E2%9C%93")?.params).toEqual({ id: "Jürgen M", post: "✓" });
    expect(r.match("/users/a%2Fb/posts/1")?.params).toEqual({ id: "a/b", post: "1" });
  });

  it("does not match an empty param or a different segment count", () => {
    const r = router(["GET", "/users/:id"]);
    expect(r.match("/users/")).toBeNull();
    expect(r.match("/users/1/extra")).toBeNull();
  });

  it("gives the rest of the path to a trailing wildcard, possibly empty (as Hono does)", () => {
    const r = router(["GET", "/static/*"]);
    expect(r.match("/static/css/site.css")?.params).toEqual({ "*": "css/site.css" });
    expect(r.match("/static/")?.params).toEqual({ "*": "" });
    expect(r.match("/static")?.params).toEqual({ "*": "" });
    expect(r.match("/stat")).toBeNull();
  });

  it("prefers static routes over dynamic ones and dynamic ones in registration order", () => {
    const r = router(["GET", "/users/:id"], ["GET", "/users/me"], ["GET", "/*"]);
    expect(r.match("/users/me")?.pattern).toBe("/users/me");
    expect(r.match("/users/5")?.pattern).toBe("/users/:id");
    expect(r.match("/anything/else")?.pattern).toBe("/*");
  });

  it("matches a static route whose path arrives percent-encoded", () => {
    const r = router(["GET", "/café"]);
    expect(r.match("/caf%C3%A9")?.pattern).toBe("/café");
  });

  it("answers malformed percent-encoding with HttpError 400 bad_path", () => {
    const r = router(["GET", "/users/:id"]);
    let caught: unknown;
    try {
      r.match("/users/%E0%A4%A");
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
