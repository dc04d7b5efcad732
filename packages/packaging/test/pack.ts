// Packs the published packages exactly as `pnpm publish` would (publishConfig applied, workspace:* replaced
// by versions) into tarballs, for the linters and the consumer test. Needs each package's dist/ (turbo builds it).

import { execFile } from "node:child_process";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Every package a user can install from npm, by its folder under packages/. */
export const PUBLISHED = ["core", "node", "bun", "deno", "blocking", "sync-to-async", "redis", "cli"] as const;
export type Published = (typeof PUBLISHED)[number];

const run = promisify(execFile);

/** The pinned pnpm (root devDependency) as a Node script, so packing does not depend on the PATH. */
function pnpm(): string[] {
  const manifest = createRequire(import.meta.url).resolve("pnpm/package.json");
  return [join(dirname(manifest), "bin", "pnpm.mjs")];
}

/** A published package's folder, through this package's own node_modules link to it. */
export function packageDir(name: Published): string {
  return realpathSync(fileURLToPath(new URL(`../node_modules/@asyncview/${name}`, import.meta.url)));
}

/** Packs every published package into `dest`; returns each tarball's path. Fails when a dist/ is missing. */
export async function packAll(dest: string): Promise<Record<Published, string>> {
  const tarballs = await Promise.all(
    PUBLISHED.map(async (name) => {
      const dir = packageDir(name);
      if (!existsSync(join(dir, "dist"))) throw new Error(`${dir}/dist is missing: run pnpm build (turbo builds it before these tests)`);
      const out = join(dest, name);
      await run(process.execPath, [...pnpm(), "pack", "--pack-destination", out], { cwd: dir, timeout: 60_000 });
      const [file] = readdirSync(out).filter((f) => f.endsWith(".tgz"));
      if (!file) throw new Error(`pnpm pack wrote no tarball for @asyncview/${name}`);
      return [name, join(out, file)] as const;
    }),
  );
  return Object.fromEntries(tarballs) as Record<Published, string>;
}
