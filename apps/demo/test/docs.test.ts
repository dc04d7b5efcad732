// Runs every TypeScript block of docs/from-django.md as its own program on Node: the guide's snippets
// must work exactly as printed. Each block is written next to the demo app so its imports resolve.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const guide = readFileSync(fileURLToPath(new URL("../../../docs/from-django.md", import.meta.url)), "utf8");
const blocks = [...guide.matchAll(/^## (.+)$|^```ts\n([\s\S]*?)^```$/gm)].reduce<{ section: string; code: string }[]>(
  (out, match) => {
    if (match[1] !== undefined) out.push({ section: match[1], code: "" });
    else if (out.length > 0 && match[2] !== undefined) out.push({ section: out.at(-1)!.section, code: match[2] });
    return out;
  },
  [],
).filter((b) => b.code !== "");
const dir = fileURLToPath(new URL("./.snippets/", import.meta.url));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docs/from-django.md", () => {
  it("has a runnable snippet for each of the seed's six ideas", () => {
    expect(new Set(blocks.map((b) => b.section)).size).toBeGreaterThanOrEqual(6);
  });

  blocks.forEach(({ section, code }, index) => {
    it(`snippet ${index + 1} (${section}) runs`, () => {
      mkdirSync(dir, { recursive: true });
      const file = `${dir}snippet-${index + 1}.ts`;
      writeFileSync(file, code);
      const run = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000 });
      expect(run.status, `${file} exited ${run.status}:\n${run.stderr}`).toBe(0);
    }, 70_000);
  });
});
