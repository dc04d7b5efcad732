// Unit tests for pathOf: the fast slice for plain paths, and WHATWG normalisation for dot segments.

import { describe, expect, it } from "vitest";
import { pathOf } from "../src/context.ts";

describe("pathOf", () => {
  it("slices the raw pathname without decoding it", () => {
    expect(pathOf("http://h:1/users/caf%C3%A9?x=1#f")).toBe("/users/caf%C3%A9");
    expect(pathOf("http://h")).toBe("/");
    expect(pathOf("http://h/a.b/.well-known/x.")).toBe("/a.b/.well-known/x.");
  });

  it("resolves dot segments, encoded or not, as new URL does", () => {
    for (const path of ["/files/a/../b", "/files/a/%2E%2E/b", "/files/a/.%2e/b", "/files/./b", "/files/a/b/..", "/x\\\\..\\\\files/b"]) {
      expect(pathOf(`http://h${path}?q`)).toBe(new URL(`http://h${path}?q`).pathname);
    }
    expect(pathOf("http://h/files/a/%2E%2E/b")).toBe("/files/b");
  });
});
