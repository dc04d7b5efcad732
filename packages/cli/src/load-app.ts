// Imports an app module by path and returns its App (the `default` export, or one named `app`).
// Paths are resolved against the directory the user ran the command from.

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { App } from "@asyncview/core";
import { loadAppModule } from "@asyncview/core/adapter";

/** Resolves `path` against `base` (default: where the user ran pnpm, else the current directory). */
export function resolveAppPath(path: string, base = process.env.INIT_CWD ?? process.cwd()): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** Loads the App exported by the module at `path`; errors name the file. */
export function loadApp(path: string): Promise<App> {
  return loadAppModule(pathToFileURL(resolveAppPath(path)).href);
}
