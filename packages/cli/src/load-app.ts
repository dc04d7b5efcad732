// Imports an app module by path and returns its App (the `default` export, or one named `app`).
// Paths are resolved against the directory the user ran the command from.

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { App } from "@asyncview/core";

function isApp(value: unknown): value is App {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as App).fetch === "function" &&
    typeof (value as App).startup === "function" &&
    typeof (value as App).shutdown === "function"
  );
}

/** Resolves `path` against `base` (default: where the user ran pnpm, else the current directory). */
export function resolveAppPath(path: string, base = process.env.INIT_CWD ?? process.cwd()): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

export async function loadApp(path: string): Promise<App> {
  const file = resolveAppPath(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load app module ${file}: ${(error as Error).message}`, { cause: error });
  }
  const app = mod.default ?? mod.app;
  if (!isApp(app)) {
    throw new Error(`${file} must export an App as its default export or as "app"`);
  }
  return app;
}
