// What a user who runs `npm install @asyncview/node` gets: the packed tarballs npm-installed into an empty folder
// outside the workspace, a small app there, served from there on Node, Bun, Deno and the blocking baseline, through
// `npx asyncview serve` and from code, each a real process answering GET /hello, then stopped by its pid.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { pinned } from "@asyncview/cli/runtime-command";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAll, PUBLISHED } from "./pack.ts";

const dir = mkdtempSync(join(tmpdir(), "asyncview-consumer-"));
const project = join(dir, "project");
const bin = join(dir, "bin");
const started = new Set<ChildProcess>();

/** The machine's npm settings a user's npm would have too (registry, CA, TLS; turbo passes them through). */
const NPM_SETTINGS = /^npm_config_(registry|cafile|strict_ssl)$/i;
/**
 * The user's environment: the pinned node, bun and deno first on PATH (as if installed on the machine; nothing in
 * the project provides bun or deno, so the CLI's PATH fallback is what finds them), and nothing of the workspace's
 * pnpm run (its npm_* variables, INIT_CWD) leaking into npm or the CLI.
 */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries({ ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` }).filter(
    ([key]) => NPM_SETTINGS.test(key) || !/^(npm_|pnpm_|INIT_CWD$|ASYNCVIEW_)/i.test(key),
  ),
);

const files: Record<string, string> = {
  "package.json": JSON.stringify({ name: "asyncview-consumer", private: true, type: "module" }, null, 2),
  // The README's app, plus a syncToAsync call so sync-to-async's worker thread (dist/worker.js) runs too.
  "app.ts": `import { App, json } from "@asyncview/core";
import { syncToAsync } from "@asyncview/sync-to-async";

const add = syncToAsync<[number, number], number>(new URL("./work.ts", import.meta.url), "add");

export const app = new App();
app.get("/hello", () => json({ msg: "Hello, async!" }));
app.get("/add", async () => json({ sum: await add(2, 3) }));
export default app;
`,
  "work.ts": `export function add(a: number, b: number): number {
  return a + b;
}
`,
};

/** A from-code server script: serve on port 0, print the URL, close gracefully on SIGTERM and exit 0. */
function script(importLine: string, serveCall: string): string {
  return `import process from "node:process";
${importLine}
const server = await ${serveCall};
console.log(\`listening on \${server.url}\`);
process.once("SIGTERM", () => void server.close());
await server.closed;
process.exit(0);
`;
}
files["serve-node.mjs"] = script(`import { serve } from "@asyncview/node";\nimport app from "./app.ts";`, "serve(app, { port: 0 })");
files["serve-bun.ts"] = script(`import { serve } from "@asyncview/bun";\nimport app from "./app.ts";`, "serve(app, { port: 0 })");
files["serve-deno.ts"] = script(`import { serve } from "@asyncview/deno";\nimport app from "./app.ts";`, "serve(app, { port: 0 })");
files["serve-blocking.mjs"] = script(
  `import { serve } from "@asyncview/blocking";`,
  `serve(new URL("./app.ts", import.meta.url), { port: 0, threads: 2 })`,
);

beforeAll(async () => {
  mkdirSync(project);
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  symlinkSync(pinned("bun"), join(bin, "bun"));
  symlinkSync(pinned("deno"), join(bin, "deno"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const tarballs = await packAll(join(dir, "tarballs"));
  // `npm install` of every tarball at once: each satisfies the others' "@asyncview/core": "0.1.0"; express comes from npm.
  await promisify(execFile)("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...PUBLISHED.map((n) => tarballs[n])], {
    cwd: project,
    env,
    timeout: 180_000,
  });
}, 240_000);

afterAll(() => {
  for (const child of started) stop(child, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Signals a started command's whole process group (its pid is the group's id: npx, sh, launcher, runtime). */
function stop(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `command` in the project (its own process group) and waits, at most 30 s, for "listening on URL". */
function start(command: string, args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(command, args, { cwd: project, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")}: no "listening on" within 30 s:\n${output}`)), 30_000);
    child.stdout!.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** Sends SIGTERM to the process group and waits, at most 15 s, until every process in it is gone. */
async function stopGracefully(child: ChildProcess): Promise<void> {
  stop(child, "SIGTERM");
  const deadline = Date.now() + 15_000;
  while (groupAlive(child.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(groupAlive(child.pid!), "every process of the server stopped within 15 s of SIGTERM").toBe(false);
  started.delete(child);
}

async function expectServes(url: string): Promise<void> {
  const hello = await fetch(`${url}/hello`, { signal: AbortSignal.timeout(10_000) });
  expect(hello.status).toBe(200);
  expect(await hello.json()).toEqual({ msg: "Hello, async!" });
  const add = await fetch(`${url}/add`, { signal: AbortSignal.timeout(10_000) });
  expect(await add.json()).toEqual({ sum: 5 });
}

describe.each(["node", "bun", "deno", "blocking"] as const)("npx asyncview serve app.ts --runtime %s", (runtime) => {
  it("serves GET /hello from the installed packages and stops gracefully on SIGTERM", async () => {
    const server = await start("npx", ["--no", "--", "asyncview", "serve", "app.ts", "--runtime", runtime, "--port", "0"]);
    await expectServes(server.url);
    await stopGracefully(server.child);
    expect(server.output()).toContain("SIGTERM: shutting down gracefully");
  });
});

describe.each([
  ["node", () => process.execPath, ["serve-node.mjs"]],
  ["bun", () => join(bin, "bun"), ["serve-bun.ts"]],
  ["deno", () => join(bin, "deno"), ["run", "--allow-all", "serve-deno.ts"]],
  ["blocking", () => process.execPath, ["serve-blocking.mjs"]],
] as const)("serve() from code on %s", (_name, command, args) => {
  it("serves GET /hello from the installed packages and exits 0 on SIGTERM", async () => {
    const server = await start(command(), [...args]);
    await expectServes(server.url);
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve));
    process.kill(server.child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
    started.delete(server.child);
  });
});

it("asyncview --help explains the command", async () => {
  const { stdout } = await promisify(execFile)("npx", ["--no", "--", "asyncview", "--help"], { cwd: project, env, timeout: 30_000 });
  expect(stdout).toContain("asyncview serve [options] <app module>");
  expect(stdout).toContain("--runtime <name>");
});
