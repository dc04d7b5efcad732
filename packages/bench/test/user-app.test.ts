// `pnpm bench --app` end to end with real runtimes (1 s runs): GET routes found by themselves, a route differing between node and bun
// reported, --scenario with a body file; and its pieces: the scenario spec, App.routes() with a mounted app, the answer comparison.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, json } from "@asyncview/core";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/provenance.ts";
import { type BenchResult, validateResult } from "../src/schema.ts";
import { parseScenarioSpec, sameAnswer, ScenarioError } from "../src/user-app.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const DIFFER = fileURLToPath(new URL("./fixtures/differ-app.ts", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "asyncview-bench-app-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function bench(args: string[], dir: string) {
  return spawnSync(process.execPath, [CLI, ...args, "--duration", "1", "--repeats", "1", "--warmup", "0", "--no-generator-check", "--out", dir], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    env: { ...process.env, INIT_CWD: REPO_ROOT },
    timeout: 150_000,
  });
}

function resultIn(dir: string): BenchResult {
  const file = readdirSync(dir).find((f) => f.endsWith(".json"))!;
  expect(readdirSync(dir)).toContain(file.replace(".json", ".html"));
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as BenchResult;
}

describe("pnpm bench --app", () => {
  it("benchmarks every GET route without params on node and bun, and reports the route that differs", { timeout: 150_000 }, () => {
    const dir = join(out, "differ");
    const run = bench(["--app", DIFFER, "--targets", "asyncview-node,asyncview-bun"], dir);
    expect(run.status, run.stderr).toBe(0);
    const result = resultIn(dir);
    expect(validateResult(result)).toEqual([]);
    expect(result.options.scenarios.sort()).toEqual(["GET /runtime", "GET /same"]);
    expect(result.targets.map((t) => t.id)).toEqual(["asyncview-node", "asyncview-bun"]);
    expect(result.checks.every((c) => c.ok)).toBe(true);
    expect(result.differences!.map((d) => d.scenario)).toEqual(["GET /runtime"]);
    const bodies = result.differences![0]!.answers.map((a) => a.body).sort();
    expect(bodies).toEqual(['{"runtime":"Bun"}', '{"runtime":"Node.js"}']);
    for (const target of ["asyncview-node", "asyncview-bun"]) {
      for (const scenario of ["GET /same", "GET /runtime"]) {
        expect(result.summary.filter((s) => s.target === target && s.scenario === scenario).map((s) => s.mode).sort()).toEqual(["closed", "open"]);
      }
    }
    expect(run.stdout).toMatch(/^GET \/runtime: GET \/runtime, on your app/m);
    expect(run.stdout).toMatch(/≠ the runtimes answer differently: asyncview\/(node|bun) \(your app\): 200/);
    expect(run.stdout).not.toMatch(/items/);
  });

  it("runs the scenarios it is given, a POST with its body file among them (examples/notes, node)", { timeout: 150_000 }, () => {
    const dir = join(out, "notes");
    const run = bench(["--app", "examples/notes/app.ts", "--targets", "asyncview-node", "--scenario", "GET /notes", "--scenario", "POST /notes @examples/notes/note.json"], dir);
    expect(run.status, run.stderr).toBe(0);
    const result = resultIn(dir);
    expect(result.app!.path).toBe(join(REPO_ROOT, "examples/notes/app.ts"));
    expect(result.options.scenarios).toEqual(["GET /notes", "POST /notes"]);
    expect(result.checks).toEqual([
      { target: "asyncview-node", scenario: "GET /notes", ok: true },
      { target: "asyncview-node", scenario: "POST /notes", ok: true },
    ]);
    const post = result.summary.find((s) => s.scenario === "POST /notes" && s.mode === "closed")!;
    expect(post.rps.median).toBeGreaterThan(0);
    expect(post.errors).toBe(0);
  });

  it("refuses a bad scenario, a missing body file, or --scenario without --app, before starting anything", () => {
    const bad = bench(["--app", DIFFER, "--scenario", "FETCH /x"], join(out, "bad"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/method must be one of GET, POST, PUT, PATCH, DELETE/);
    const missing = bench(["--app", DIFFER, "--scenario", "POST /items @nowhere.json"], join(out, "bad"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the body file nowhere.json/);
    expect(bench(["--scenario", "GET /x"], join(out, "bad")).stderr).toMatch(/--scenario needs --app/);
    expect(bench(["--app", DIFFER, "--targets", "bare-node"], join(out, "bad")).stderr).toMatch(/unknown target \(with --app\) "bare-node"/);
  });
});

describe("the pieces", () => {
  it("parses a scenario spec: method, path with query, body file", () => {
    const get = parseScenarioSpec("get /notes?limit=5", REPO_ROOT);
    expect(get).toMatchObject({ name: "GET /notes?limit=5", method: "GET", path: "/notes?limit=5" });
    expect(get.body).toBeUndefined();
    const post = parseScenarioSpec("POST /notes @examples/notes/note.json", REPO_ROOT);
    expect(JSON.parse(post.body!)).toEqual({ text: "benchmark me" });
    expect(() => parseScenarioSpec("/notes", REPO_ROOT)).toThrow(ScenarioError);
    expect(post.verify({ status: 201, contentType: "application/json", body: "{}" })).toBeNull();
    expect(post.verify({ status: 500, contentType: "application/json", body: "{}" })).toMatch(/status 500, expected 2xx/);
  });

  it("App.routes() lists every route with its method, a mounted app's under its prefix", () => {
    const api = new App().get("/users", () => json([])).get("/users/:id", () => json({}));
    const app = new App().get("/", () => json({})).post("/echo", () => json({})).mount("/api", api);
    expect(app.routes()).toEqual([
      { method: "GET", pattern: "/" },
      { method: "POST", pattern: "/echo" },
      { method: "GET", pattern: "/api/users" },
      { method: "GET", pattern: "/api/users/:id" },
    ]);
  });

  it("answers are the same when status, media type and JSON agree (key order and charset aside)", () => {
    const a = { status: 200, contentType: "application/json; charset=utf-8", body: '{"a":1,"b":2}' };
    expect(sameAnswer(a, { status: 200, contentType: "application/json", body: '{"b":2,"a":1}' })).toBe(true);
    expect(sameAnswer(a, { ...a, status: 201 })).toBe(false);
    expect(sameAnswer(a, { ...a, body: '{"a":1,"b":3}' })).toBe(false);
    expect(sameAnswer(a, { ...a, contentType: "text/plain" })).toBe(false);
  });
});
