#!/usr/bin/env node
// `pnpm bench`: parse the options, run the benchmark, print a table per scenario and write <out>/<date>.json and
// <out>/<date>.html (.bench-results unless --out or --publish). Exit 0 when it ran, 2 on a usage error, 1 when it could not run.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_OUT, helpText, parseBenchArgs, PUBLISHED_OUT, UsageError } from "./args.ts";
import { gitInfo, REPO_ROOT } from "./provenance.ts";
import { renderHtml } from "./report-html.ts";
import { stopAll } from "./processes.ts";
import { planFor, runBench } from "./run.ts";
import { ScenarioError } from "./user-app.ts";
import { resultTables } from "./table.ts";
import { type BenchResult, formatResult, validateResult } from "./schema.ts";
import { wrkVersion } from "./wrk.ts";

/** `<dir>/<YYYY-MM-DD>`, with `-2`, `-3`, ... when that day already has a result. */
function resultBase(dir: string, date: string): string {
  const day = date.slice(0, 10);
  for (let n = 1; ; n++) {
    const base = join(dir, n === 1 ? day : `${day}-${n}`);
    if (!existsSync(`${base}.json`)) return base;
  }
}

/** `--from <file.json> [--markdown]`: the tables (and the HTML next to it) of an earlier run, without running. */
function fromFile(argv: string[]): number {
  const file = argv[argv.indexOf("--from") + 1];
  if (!file) {
    console.error("pnpm bench: --from needs a result file (results/<date>.json)");
    return 2;
  }
  const result = JSON.parse(readFileSync(file, "utf8")) as BenchResult;
  const problems = validateResult(result);
  if (problems.length) {
    console.error(`pnpm bench: ${file} is not a result file: ${problems.slice(0, 5).join("; ")}`);
    return 2;
  }
  console.log(resultTables(result, argv.includes("--markdown") ? "markdown" : "text"));
  return 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--from")) return fromFile(argv);
  let options;
  try {
    options = parseBenchArgs(argv, { wrkInstalled: wrkVersion() !== null, git: gitInfo(REPO_ROOT) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`pnpm bench: ${error.message}\nTry pnpm bench --help`);
    return 2;
  }
  if (options === "help") {
    console.log(helpText(relative(process.cwd(), DEFAULT_OUT) || ".", relative(process.cwd(), PUBLISHED_OUT) || "."));
    return 0;
  }
  if (options.loadTool === "own") console.error("wrk not found (apt-get install -y wrk): closed-loop load comes from the harness's own generator");
  const log = (line: string) => console.error(line);
  let plan;
  try {
    plan = await planFor(options);
  } catch (error) {
    // A bad --scenario, an app that does not load or has nothing to measure: said before anything starts.
    console.error(`pnpm bench: ${(error as Error).message}${error instanceof ScenarioError ? "\nTry pnpm bench --help" : ""}`);
    return 2;
  }
  const result = await runBench(options, ["pnpm bench", ...argv].join(" "), log, plan);
  const problems = validateResult(result);
  if (problems.length) console.error(`warning: the result does not match its schema: ${problems.join("; ")}`);
  mkdirSync(options.out, { recursive: true });
  const base = resultBase(options.out, result.startedAt);
  writeFileSync(`${base}.json`, formatResult(result));
  writeFileSync(`${base}.html`, renderHtml(result));
  console.log(`\n${resultTables(result)}\n`);
  console.log(`results: ${relative(process.cwd(), `${base}.json`)}\nreport:  ${relative(process.cwd(), `${base}.html`)} (open it in a browser)`);
  if (options.out === DEFAULT_OUT) console.log("(a folder git ignores: to publish a run into benchmarks/results, run it with --publish from a clean tree)");
  return 0;
}

// Interrupted (Ctrl-C, a CI timeout): stop every server and load process before leaving.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    const stopped = stopAll();
    console.error(`\npnpm bench: interrupted by ${signal}; stopped ${stopped} process(es)`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`pnpm bench: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
