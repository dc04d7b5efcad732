// The packed tarballs as the ecosystem's tools see them: publint (package.json vs. the files shipped) and
// attw (TypeScript resolves types for every entry point), plus the manifest a user installs mirrors the workspace's.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAll, packageDir, PUBLISHED, type Published } from "./pack.ts";

interface Manifest {
  name: string;
  exports?: Record<string, unknown>;
  bin?: Record<string, string>;
  publishConfig?: { exports?: Record<string, unknown>; bin?: Record<string, string> };
  dependencies?: Record<string, string>;
}

const dir = mkdtempSync(join(tmpdir(), "asyncview-lint-"));
let tarballs: Record<Published, string>;

beforeAll(async () => {
  tarballs = await packAll(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attwBin = (() => {
  const manifest = createRequire(import.meta.url).resolve("@arethetypeswrong/cli/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.attw!);
})();

/** The published path for a workspace source path: ./src/x.ts -> ./dist/x.js (and .d.ts for types). */
function published(source: string): { types: string; default: string } {
  const match = /^\.\/src\/(.+)\.ts$/.exec(source);
  if (!match) throw new Error(`workspace exports and bins must name ./src/*.ts files, got ${source}`);
  return { types: `./dist/${match[1]}.d.ts`, default: `./dist/${match[1]}.js` };
}

describe.each(PUBLISHED)("@asyncview/%s", (name) => {
  it("publint reports nothing (strict: warnings count)", async () => {
    const tarball = readFileSync(tarballs[name]);
    const { messages, pkg } = await publint({ pack: { tarball: new Uint8Array(tarball).buffer }, strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`)).toEqual([]);
  });

  it("attw finds the types of every entry point under node16 and bundler resolution (ESM-only profile)", () => {
    const run = spawnSync(process.execPath, [attwBin, tarballs[name], "--profile", "esm-only", "--no-definitely-typed", "--format", "json"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const report = JSON.parse(run.stdout) as { analysis: { problems: { resolutionKind?: string }[]; entrypoints: Record<string, unknown> } };
    // The JSON lists every resolution mode; the ESM-only profile (what exit status reflects) leaves out
    // node10 and node16-cjs, where an ESM-only package is expected not to load.
    expect(report.analysis.problems.filter((p) => !["node10", "node16-cjs"].includes(p.resolutionKind ?? ""))).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).length).toBeGreaterThan(0);
    expect(run.status).toBe(0);
  });

  it("ships dist/ only (and a README), with publishConfig mirroring the workspace's exports and bin (src/x.ts -> dist/x.js)", () => {
    const workspace = JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as Manifest;
    const packed = JSON.parse(execFileSync("tar", ["-xOzf", tarballs[name], "package/package.json"], { encoding: "utf8" })) as Manifest;
    const files = execFileSync("tar", ["-tzf", tarballs[name]], { encoding: "utf8" }).trim().split("\n");
    // Adding a subpath is one entry in "exports" and its mirror in "publishConfig.exports"; this says which is missing.
    const expected = Object.fromEntries(Object.entries(workspace.exports ?? {}).map(([key, source]) => [key, published(source as string)]));
    expect(workspace.publishConfig?.exports).toEqual(expected);
    expect(packed.exports).toEqual(expected);
    const bins = Object.fromEntries(Object.entries(workspace.bin ?? {}).map(([key, source]) => [key, published(source).default]));
    expect(packed.bin ?? {}).toEqual(bins);
    for (const path of [...Object.values(expected).flatMap((e) => [e.types, e.default]), ...Object.values(bins)]) {
      expect(files, path).toContain(`package/${path.slice(2)}`);
    }
    // npm ships a package's README.md whatever "files" says.
    expect(files.filter((f) => !f.startsWith("package/dist/") && f !== "package/package.json" && f !== "package/README.md")).toEqual([]);
    expect(files.some((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts"))).toBe(false);
    for (const [dep, range] of Object.entries(packed.dependencies ?? {})) expect(range, dep).not.toMatch(/^workspace:/);
  });
});
