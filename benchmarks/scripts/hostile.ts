// `pnpm hostile`: the hostile-client battery of issue 10 at full scale against each adapter's real server process on
// 127.0.0.1, one Markdown table per adapter (attack, result, figures) and the JSON in .bench-results/.

import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RUNTIMES, type RuntimeName } from "@asyncview/cli/args";
import { ATTACKS, FULL_SCALE, soak, type AttackName, type AttackResult, type Settings } from "./hostile/index.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runtime: { type: "string", default: RUNTIMES.join(",") },
    attacks: { type: "string", default: Object.keys(ATTACKS).join(",") },
    scale: { type: "string", default: "1" },
    soak: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`Usage: pnpm hostile [--runtime node,bun,deno,blocking] [--attacks a,b] [--scale 1] [--soak SECONDS]
  --runtime  adapters to attack, in turn (default: all four)
  --attacks  ${Object.keys(ATTACKS).join(", ")} (default: all)
  --scale    1 = the issue's full scale (2,000 slowloris connections, 10,000 idle, 20,000 overload ...)
  --soak     instead of the attacks: wrk -c256 on /hello for SECONDS, RSS every 30 s (kept out of CI)
Timeouts passed to every server: ${JSON.stringify(FULL_SCALE)} (seconds).`);
  process.exit(0);
}
const runtimes = values.runtime.split(",") as RuntimeName[];
for (const runtime of runtimes) if (!(RUNTIMES as readonly string[]).includes(runtime)) throw new Error(`unknown runtime ${runtime}`);
const names = values.attacks.split(",") as AttackName[];
for (const name of names) if (!(name in ATTACKS)) throw new Error(`unknown attack ${name}; one of ${Object.keys(ATTACKS).join(", ")}`);
const settings: Settings = { ...FULL_SCALE, scale: Number(values.scale) };

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function table(runtime: RuntimeName, results: AttackResult[]): string {
  const rows = results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok);
    const verdict = failed.length === 0 ? "pass" : `**FAIL**: ${failed.map((c) => `${c.name} (${c.detail})`).join("; ")}`;
    const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(", ");
    return `| ${r.attack} | ${cell(verdict)} | ${cell(figures)} |`;
  });
  return [`### ${runtime}`, "", "| attack | result | figures |", "| --- | --- | --- |", ...rows, ""].join("\n");
}

const all: AttackResult[] = [];
const started = new Date();
for (const runtime of runtimes) {
  const results: AttackResult[] = [];
  if (values.soak) {
    results.push(await soak(runtime, settings, Number(values.soak)));
  } else {
    for (const name of names) {
      const t0 = performance.now();
      process.stderr.write(`${runtime}: ${name} ... `);
      try {
        results.push(await ATTACKS[name](runtime, settings));
      } catch (error) {
        results.push({ attack: name, runtime, checks: [{ name: "the attack ran", ok: false, detail: String(error) }], figures: {} });
      }
      const last = results.at(-1)!;
      process.stderr.write(`${last.checks.every((c) => c.ok) ? "pass" : "FAIL"} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
  }
  all.push(...results);
  console.log(table(runtime, results));
}
mkdirSync(".bench-results", { recursive: true });
const file = `.bench-results/hostile-${values.soak ? "soak-" : ""}${started.toISOString().replaceAll(":", "-").slice(0, 19)}.json`;
writeFileSync(file, JSON.stringify({ started: started.toISOString(), settings, runtimes, results: all }, null, 2));
console.log(`JSON: ${file}`);
