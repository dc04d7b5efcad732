// The HTML report in a real browser: Debian's headless Chromium loads the rendered fixture, and the test reads the DOM
// the page's script produced (charts drawn, series with geometry, model lines), takes a screenshot, and checks escaping.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartPlan, renderHtml } from "../src/report-html.ts";
import type { BenchResult } from "../src/schema.ts";
import { validateResult } from "../src/schema.ts";
import { buildFixture } from "./fixture.ts";

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";
const REPO = resolve(import.meta.dirname, "../../..");
const SCREENSHOT = join(REPO, ".artifacts", "bench-report.png");
const INJECTION = "<img src=x onerror=alert(1)>";

/** The charts the fixture must produce: hello is measured at one connection count, so it has no throughput chart. */
const EXPECTED_CHARTS = [
  "latency/hello",
  "memory/hello",
  "open-loop/hello",
  "throughput/sleep",
  "latency/sleep",
  "memory/sleep",
];

let work = "";

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bench-report-"));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the report test needs Debian's Chromium. Install it with: apt-get install -y chromium`);
  }
}

/** Runs headless Chromium on `file` with `extra` arguments; a fresh profile each time, so runs never share one. */
async function chromium(file: string, extra: string[]): Promise<string> {
  requireChromium();
  const profile = mkdtempSync(join(work, "profile-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    "--virtual-time-budget=5000",
    ...extra,
    pathToFileURL(file).href,
  ];
  const { stdout } = await run(CHROMIUM, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function renderTo(result: BenchResult, name: string): string {
  const file = join(work, name);
  writeFileSync(file, renderHtml(result));
  return file;
}

/** Attributes of one serialized start tag (Chromium writes them double-quoted, with &quot; and &amp; escaped). */
function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([^\s=<>/"']+)="([^"]*)"/g)) {
    out[m[1]!] = m[2]!.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }
  return out;
}

interface Chart {
  attrs: Record<string, string>;
  inner: string;
}

function charts(dom: string): Chart[] {
  return [...dom.matchAll(/<svg\b([^>]*)>([\s\S]*?)<\/svg>/g)].map((m) => ({ attrs: attrs(m[1]!), inner: m[2]! })).filter((c) => /\bchart\b/.test(c.attrs.class ?? ""));
}

/** Every <path> and <rect> of a chart that carries data-series, with its attributes. */
function series(chart: Chart): { tag: string; attrs: Record<string, string> }[] {
  return [...chart.inner.matchAll(/<(path|rect)\b([^>]*)>/g)].map((m) => ({ tag: m[1]!, attrs: attrs(m[2]!) })).filter((e) => "data-series" in e.attrs);
}

function hasGeometry(e: { tag: string; attrs: Record<string, string> }): boolean {
  if (e.tag === "path") return (e.attrs.d?.match(/-?\d+(\.\d+)?/g) ?? []).length >= 2 && /^M/.test(e.attrs.d ?? "");
  return Number(e.attrs.width) > 0 && Number(e.attrs.height) > 0;
}

describe("the HTML report", () => {
  const fixture = buildFixture();

  it("is built from a fixture that conforms to the schema", () => {
    expect(validateResult(fixture)).toEqual([]);
    expect(chartPlan(fixture).map((c) => `${c.kind}/${c.scenario}`)).toEqual(EXPECTED_CHARTS);
  });

  it("is self-contained: no external resource, the result JSON embedded and readable back", () => {
    const html = renderHtml(fixture);
    expect(html).not.toMatch(/<(script|link|img)\b[^>]*\b(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const json = /<script type="application\/json" id="bench-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json!)).toEqual(fixture);
    expect(html).toContain("What does the event loop buy over a thread per request, on each runtime?");
  });

  it("draws every chart in headless Chromium, each with its series, axes and legend", async () => {
    const started = Date.now();
    const dom = await chromium(renderTo(fixture, "report.html"), ["--dump-dom"]);
    const body = attrs(/<body\b[^>]*>/.exec(dom)?.[0] ?? "");
    expect(body["data-rendered"], "body data-rendered (charts drawn by the page's script)").toBe(String(EXPECTED_CHARTS.length));
    expect(dom).not.toContain('class="chart-error"');

    const drawn = charts(dom);
    expect(drawn.map((c) => `${c.attrs["data-chart"]}/${c.attrs["data-scenario"]}`)).toEqual(EXPECTED_CHARTS);
    for (const chart of drawn) {
      const name = `${chart.attrs["data-chart"]}/${chart.attrs["data-scenario"]}`;
      const elements = series(chart);
      expect(elements.length, `${name}: elements with data-series`).toBeGreaterThan(0);
      for (const e of elements) expect(hasGeometry(e), `${name}: ${e.tag} ${JSON.stringify(e.attrs)} has geometry`).toBe(true);
      expect(chart.inner, `${name}: title`).toMatch(/class="title"[^>]*>(<tspan[^>]*>)?[^<]+</);
      expect((chart.inner.match(/class="tick"/g) ?? []).length, `${name}: tick labels`).toBeGreaterThanOrEqual(4);
      expect(chart.inner, `${name}: axis title`).toContain('class="axis-title"');
      expect(chart.inner, `${name}: legend`).toMatch(/class="legend"[\s\S]*data-legend=/);
      // The target that failed to start is in no chart.
      expect(elements.some((e) => e.attrs["data-series"] === "hono-node"), `${name}: no failed target`).toBe(false);
    }

    const byName = new Map(drawn.map((c) => [`${c.attrs["data-chart"]}/${c.attrs["data-scenario"]}`, c]));
    const throughput = series(byName.get("throughput/sleep")!);
    const ids = [...new Set(throughput.map((e) => e.attrs["data-series"]))];
    for (const id of ["asyncview-node", "asyncview-bun", "asyncview-deno", "asyncview-blocking", "bare-node", "bare-bun"]) expect(ids, id).toContain(id);
    expect(ids).not.toContain("bare-deno");
    const models = ids.filter((id) => id?.startsWith("model:"));
    expect(models.some((id) => id?.includes("C / L")), `model C / L among ${models.join(", ")}`).toBe(true);
    expect(models.some((id) => id?.includes("T / L")), `model T / L among ${models.join(", ")}`).toBe(true);
    for (const m of throughput.filter((e) => e.attrs["data-series"]?.startsWith("model:"))) {
      expect(m.attrs["stroke-dasharray"], "model lines are dashed").toBeTruthy();
      expect(m.attrs.d?.match(/[ML]/g)?.length, "a model point per connection count").toBe(3);
    }
    // Latency bars: 4 percentiles per target at 1024 connections.
    const latency = series(byName.get("latency/sleep")!);
    expect(latency.filter((e) => e.attrs["data-series"] === "asyncview-blocking").map((e) => e.attrs["data-percentile"])).toEqual(["p50", "p90", "p99", "p99.9"]);
    // The blocking baseline's bars are far taller than the async ones (log scale, ms at 1024 connections).
    const height = (id: string) => Number(latency.find((e) => e.attrs["data-series"] === id)?.attrs.height);
    expect(height("asyncview-blocking")).toBeGreaterThan(height("asyncview-node"));

    // Server-rendered parts: the question, the provenance, the failed target and check, the lacks, the flags.
    const page = dom.replace(/<script\b[\s\S]*?<\/script>/g, "");
    for (const text of [
      "What does the event loop buy over a thread per request, on each runtime?",
      "Intel(R) Xeon(R) Processor @ 2.20GHz",
      "wrk 4.1.0",
      "pnpm bench --scenarios hello,sleep --repeats 3 --duration 10",
      "commit <code>6c36a38e9d1f0b7a2c4e5f60718293a4b5c6d7e8</code> (main), clean tree",
      "Cannot find package 'hono'",
      'expected {"msg":"Hello, async!","slept":100}',
      "<code>db</code> <code>cpu-offload</code>",
      '<span class="flag">412 timeouts</span>',
    ]) {
      expect(page.includes(text), `the page shows ${text}`).toBe(true);
    }
  }, 90_000);

  it("renders a screenshot that is a real picture", async () => {
    mkdirSync(join(REPO, ".artifacts"), { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    await chromium(renderTo(fixture, "report-shot.html"), [`--screenshot=${SCREENSHOT}`, "--window-size=1280,2400"]);
    expect(existsSync(SCREENSHOT), SCREENSHOT).toBe(true);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 2400]);
  }, 90_000);

  it("escapes target labels and errors, in the HTML and in what the script draws", async () => {
    const evil = buildFixture();
    evil.targets[0]!.label = INJECTION;
    evil.targets.find((t) => t.status === "failed")!.error = `</script><script>document.title="pwned"</script>${INJECTION}`;
    evil.checks.find((c) => !c.ok)!.error = `"><svg onload=alert(2)>`;
    const html = renderHtml(evil);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<svg onload");
    expect(html.match(/<\/script>/g)?.length, "only the page's own three script tags close").toBe(3);
    expect(html.match(/<script\b/g)?.length).toBe(3);

    const dom = await chromium(renderTo(evil, "evil.html"), ["--dump-dom"]);
    expect(attrs(/<body\b[^>]*>/.exec(dom)?.[0] ?? "")["data-rendered"]).toBe(String(EXPECTED_CHARTS.length));
    expect(/<img\b/i.test(dom), "no <img> element").toBe(false);
    expect(/<svg onload/i.test(dom), "no injected <svg>").toBe(false);
    expect(/<title>([^<]*)<\/title>/.exec(dom)?.[1]).not.toContain("pwned");
    // The label is shown as text, in the tables and in the charts' legends.
    expect(dom.includes("&lt;img src=x onerror=alert(1)&gt;"), "the label as text").toBe(true);
    expect(charts(dom).some((c) => c.inner.includes("&lt;img src=x onerror=alert(1)&gt;"))).toBe(true);
  }, 90_000);
});
