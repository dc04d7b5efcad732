// Imports an app module by URL and returns its App (the `default` export, or one named `app`).
// Used by the serve CLI and by the blocking baseline's threads, which each import the app on their own.

import type { App } from "./app.ts";
import { asError } from "./thrown.ts";

function isApp(value: unknown): value is App {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as App).handle === "function" &&
    typeof (value as App).startup === "function" &&
    typeof (value as App).shutdown === "function"
  );
}

/** Loads the App exported by the module at `href` (a file: URL); errors name the module. */
export async function loadAppModule(href: string): Promise<App> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load app module ${href}: ${asError(error, "the module").message}`, { cause: error });
  }
  const app = mod.default ?? mod.app;
  if (!isApp(app)) throw new Error(`${href} must export an App as its default export or as "app"`);
  return app;
}
