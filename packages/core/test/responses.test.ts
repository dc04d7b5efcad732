// Unit tests for the response helpers: content types, statuses, headers, redirect safety,
// and the lazy TextResponse behaving as a real Response to every reader.

import { describe, expect, it } from "vitest";
import { BODY_TEXT, HEADER_PAIRS, html, json, redirect, text, toFetchResponse } from "../src/responses.ts";

describe("json/text/html", () => {
  it("set the content type and status", async () => {
    const j = json({ a: 1 }, 201);
    expect(j.status).toBe(201);
    expect(j.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await j.json()).toEqual({ a: 1 });
    expect(text("hi").headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(html("<p>").headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("refuse a text or html body that is not a string", () => {
    expect(() => text(123 as never)).toThrow(/text\(\)\/html\(\): the body must be a string, got number/);
    expect(() => html(undefined as never)).toThrow(/got undefined/);
  });

  it("keep a caller's content type and merge other headers", () => {
    const res = json({}, { status: 200, headers: { "content-type": "application/problem+json", "x-a": "1" } });
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-a")).toBe("1");
  });

  it("are real Responses to instanceof, clone and body readers", async () => {
    const res = text("héllo", { headers: { "x-b": "2" } });
    expect(res).toBeInstanceOf(Response);
    expect(res.ok).toBe(true);
    const copy = res.clone();
    expect(await copy.text()).toBe("héllo");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(6);
  });

  it("expose the body text to adapters until it is read through the Fetch API", async () => {
    const res = json({ msg: "x" });
    const raw = res as unknown as Record<symbol, unknown>;
    expect(raw[BODY_TEXT]).toBe('{"msg":"x"}');
    expect(raw[HEADER_PAIRS]).toEqual(["content-type", "application/json; charset=utf-8"]);
    await res.text();
    expect(raw[BODY_TEXT]).toBeUndefined();
  });

  it("keep several Set-Cookie values apart in header pairs", () => {
    const headers = new Headers();
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    const pairs = (text("x", { headers }) as unknown as Record<symbol, string[]>)[HEADER_PAIRS] ?? [];
    const cookies = pairs.filter((_, i) => i % 2 === 1 && pairs[i - 1] === "set-cookie");
    expect(cookies).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });

  it("build a native Response for runtimes that need one", async () => {
    const native = toFetchResponse(json({ n: 1 }, 202));
    expect(Object.getPrototypeOf(native)).toBe(Response.prototype);
    expect(native.status).toBe(202);
    expect(await native.json()).toEqual({ n: 1 });
    const plain = new Response("p");
    expect(toFetchResponse(plain)).toBe(plain);
  });

  it("refuse invalid statuses and values JSON cannot represent", () => {
    expect(() => text("x", 99)).toThrow(RangeError);
    expect(() => json(undefined)).toThrow(/not JSON-serialisable/);
  });
});

describe("redirect", () => {
  it("defaults to 302 and sets Location", () => {
    const res = redirect("/login");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login");
    expect(redirect(new URL("https://example.com/a"), 308).headers.get("location")).toBe("https://example.com/a");
  });

  it("refuses CR/LF (header injection) and non-redirect statuses", () => {
    expect(() => redirect("/a\r\nSet-Cookie: x=1")).toThrow(/CR or LF/);
    expect(() => redirect("/a\nb")).toThrow(/CR or LF/);
    expect(() => redirect("/a", 200)).toThrow(/not a redirect status/);
  });
});

describe("one source of truth for a helper's headers (issue 8, bug 5)", () => {
  const pairsOf = (res: Response): string[] => (res as unknown as Record<symbol, string[]>)[HEADER_PAIRS] ?? [];

  it("a header set after clone() is on the native Response and in the adapters' header pairs", () => {
    const res = json({ ok: true });
    res.clone();
    res.headers.set("x-after-clone", "1");
    expect(toFetchResponse(res).headers.get("x-after-clone")).toBe("1");
    expect(pairsOf(res)).toContain("x-after-clone");
  });

  it("a header set after reading .body is on the native Response and in the header pairs", () => {
    const res = text("t", { headers: { "x-a": "a" } });
    expect(res.body).not.toBeNull();
    res.headers.set("x-after-body", "1");
    const native = toFetchResponse(res);
    expect(native.headers.get("x-after-body")).toBe("1");
    expect(native.headers.get("x-a")).toBe("a");
    expect(pairsOf(res)).toEqual(expect.arrayContaining(["x-after-body", "1", "x-a", "a"]));
  });

  it("a header set before materialising reaches the native Response; one set after the adapter built it too", () => {
    const res = json({ n: 1 });
    res.headers.set("x-before", "1");
    const native = toFetchResponse(res);
    expect(native.headers.get("x-before")).toBe("1");
    res.headers.set("x-after", "2");
    expect(native.headers.get("x-after")).toBe("2");
    expect(res.headers).toBe(native.headers);
    expect(pairsOf(res)).toEqual(expect.arrayContaining(["x-before", "1", "x-after", "2"]));
  });

  it("keeps several Set-Cookie values apart after materialising", () => {
    const res = json({});
    res.clone();
    res.headers.append("set-cookie", "a=1");
    res.headers.append("set-cookie", "b=2");
    const pairs = pairsOf(res);
    expect(pairs.filter((_, i) => i % 2 === 1 && pairs[i - 1] === "set-cookie")).toEqual(["a=1", "b=2"]);
  });
});
