// Keeps @asyncview/core runtime-neutral: no node:* / bun / Deno / process / Buffer anywhere in its sources.
// The adapters hold everything a runtime needs; this test fails the moment core reaches for one.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "src");

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+["'](node:|bun:|bun["']|deno)/, "imports a runtime module"],
  [/import\(\s*["'](node:|bun)/, "imports a runtime module dynamically"],
  [/\b(require)\s*\(/, "uses require()"],
  [/\bDeno\./, "uses the Deno global"],
  [/\bBun\./, "uses the Bun global"],
  [/\bprocess\./, "uses Node's process global"],
  [/\bBuffer\b/, "uses Node's Buffer"],
  [/\bsetImmediate\b/, "uses Node's setImmediate"],
];

/** Strips comments so prose that mentions a runtime does not count. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function findViolations(source: string): string[] {
  const body = code(source);
  return FORBIDDEN.filter(([pattern]) => pattern.test(body)).map(([, why]) => why);
}

describe("@asyncview/core stays runtime-neutral", () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith(".ts"));

  it("has sources to check", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`${file} uses no runtime-specific API`, () => {
      expect(findViolations(readFileSync(join(SRC, file), "utf8"))).toEqual([]);
    });
  }

  it("the checker itself catches each forbidden form", () => {
    expect(findViolations(`import { x } from "node:fs";`)).toContain("imports a runtime module");
    expect(findViolations(`import { Database } from "bun:sqlite";`)).toContain("imports a runtime module");
    expect(findViolations(`const m = await import("node:os");`)).toContain("imports a runtime module dynamically");
    expect(findViolations(`Deno.serve(() => r);`)).toContain("uses the Deno global");
    expect(findViolations(`Bun.serve({});`)).toContain("uses the Bun global");
    expect(findViolations(`const e = process.env.X;`)).toContain("uses Node's process global");
    expect(findViolations(`Buffer.from("x")`)).toContain("uses Node's Buffer");
    expect(findViolations(`// Deno.serve is mentioned in prose only`)).toEqual([]);
  });
});
