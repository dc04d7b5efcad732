// `pnpm bench --app ./app.ts`: the user's own app on asyncview's four adapters. Scenarios come from `--scenario
// "POST /notes @body.json"` or, without any, from the app's GET routes without params; answers are compared across runtimes.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadAppModule } from "@asyncview/core/adapter";
import { type Answer, HTTP_METHODS, type HttpMethod, sameJson, type Scenario } from "./scenarios.ts";
import { asyncviewTargets, type TargetDef } from "./targets.ts";

/** The targets `--app` runs: the user's app on every adapter. */
export const APP_TARGETS = ["asyncview-node", "asyncview-bun", "asyncview-deno", "asyncview-blocking"];
/** Closed-loop connections of a user scenario. */
export const APP_CONNECTIONS = [64];
/**
 * The efficiency run's fixed rate for a user scenario, req/s, unless --efficiency-rate says otherwise: low, because
 * nothing is known of the app's cost and the blocking baseline must keep up too (an unmet rate is flagged).
 */
export const APP_EFFICIENCY_RATE = 200;

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

export function appTargets(appPath: string, ids: readonly string[]): TargetDef[] {
  return asyncviewTargets(appPath, " (your app)").filter((t) => ids.includes(t.id));
}

/** A user scenario: any 2xx answer passes its own check; the runtimes must then agree with each other. */
function userScenario(method: HttpMethod, path: string, efficiencyRate: number, body?: string, bodyFile?: string): Scenario {
  return {
    name: `${method} ${path}`,
    description: `${method} ${path}${bodyFile ? ` with ${bodyFile} (application/json)` : ""}, on your app`,
    method,
    path,
    ...(body !== undefined ? { body } : {}),
    ioLatencyMs: null,
    connections: APP_CONNECTIONS,
    rates: [],
    efficiencyRate,
    differential: true,
    verify: (answer) => (answer.status >= 200 && answer.status < 300 ? null : `status ${answer.status}, expected 2xx (body ${JSON.stringify(answer.body.slice(0, 120))})`),
  };
}

/** `"POST /notes @body.json"`: a method, a path (with its query) and optionally @file, the body, resolved against `base`. */
export function parseScenarioSpec(spec: string, base: string, efficiencyRate = APP_EFFICIENCY_RATE): Scenario {
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)(?:\s+@(\S+))?\s*$/.exec(spec);
  if (!match) throw new ScenarioError(`--scenario must look like "GET /path" or "POST /path @body.json", got ${JSON.stringify(spec)}`);
  const method = match[1]!.toUpperCase() as HttpMethod;
  if (!HTTP_METHODS.includes(method)) throw new ScenarioError(`--scenario ${JSON.stringify(spec)}: method must be one of ${HTTP_METHODS.join(", ")}`);
  let body: string | undefined;
  if (match[3]) {
    try {
      body = readFileSync(resolve(base, match[3]), "utf8");
    } catch (error) {
      throw new ScenarioError(`--scenario ${JSON.stringify(spec)}: cannot read the body file ${match[3]}: ${(error as Error).message}`);
    }
  }
  return userScenario(method, match[2]!, efficiencyRate, body, match[3]);
}

/** Every GET route of the app without params or a wildcard, as scenarios (the app is imported here, on Node). */
export async function routeScenarios(appPath: string, efficiencyRate = APP_EFFICIENCY_RATE): Promise<Scenario[]> {
  const app = await loadAppModule(pathToFileURL(appPath).href);
  const paths = app
    .routes()
    .filter((r) => r.method === "GET" && !r.pattern.includes(":") && !r.pattern.includes("*"))
    .map((r) => r.pattern);
  return [...new Set(paths)].map((path) => userScenario("GET", path, efficiencyRate));
}

/** Two answers are the same: status, media type, and body (as JSON when both parse, else byte for byte). */
export function sameAnswer(a: Answer, b: Answer): boolean {
  const media = (type: string) => type.split(";")[0]!.trim().toLowerCase();
  if (a.status !== b.status || media(a.contentType) !== media(b.contentType)) return false;
  if (a.body === b.body) return true;
  try {
    return sameJson(JSON.parse(a.body), JSON.parse(b.body));
  } catch {
    return false;
  }
}

export interface Difference {
  scenario: string;
  /** Each target's answer (body cut to 200 characters). */
  answers: { target: string; status: number; contentType: string; body: string }[];
}

/** The scenarios whose answers differ between targets, with every target's answer. */
export function differences(answers: Map<string, Map<string, Answer>>): Difference[] {
  const found: Difference[] = [];
  for (const [scenario, byTarget] of answers) {
    const all = [...byTarget.entries()];
    if (all.length < 2 || all.every(([, a]) => sameAnswer(a, all[0]![1]))) continue;
    found.push({ scenario, answers: all.map(([target, a]) => ({ target, status: a.status, contentType: a.contentType, body: a.body.slice(0, 200) })) });
  }
  return found;
}
