// Typed, validated query parameters: a bad or missing value is a 400 that names the parameter.
// `intParam(ctx.query, "ms", { min: 0, max: 60_000, default: 100 })`.

import { HttpError } from "./errors.ts";

export interface IntParamOptions {
  min?: number;
  max?: number;
  /** Used when the parameter is absent; without it, absence is a 400. */
  default?: number;
}

export function intParam(query: URLSearchParams, name: string, options: IntParamOptions = {}): number {
  const raw = query.get(name);
  if (raw === null || raw === "") {
    if (options.default !== undefined) return options.default;
    throw new HttpError(400, `query parameter ${name} is required`, { code: "bad_query", details: { param: name } });
  }
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(400, `query parameter ${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`, {
      code: "bad_query",
      details: { param: name, min, max, got: raw },
    });
  }
  return value;
}
