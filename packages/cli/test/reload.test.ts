// `serve --reload` on every runtime: in-place saves and atomic renames restart the server with the new code, a save
// that does not compile is reported and the next good save recovers, and SIGTERM ends the launcher and every child.

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { APP_ENV, RUNTIMES } from "../src/args.ts";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));
const tmp = fileURLToPath(new URL("./.tmp/", import.meta.url));
const source = (body: string) => `import { App, json } from "@asyncview/core";\nexport default new App().get("/v", () => ${body});\n`;
const { [APP_ENV]: _unset, ...env } = process.env;

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The live (not zombie) processes, from /proc: pid, parent pid and process group. */
function processes(): { pid: number; ppid: number; pgid: number }[] {
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (state !== "Z") found.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid) });
  }
  return found;
}

/** The pids of `root`'s descendants alive now. */
function descendants(root: number): number[] {
  const all = processes();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const p of all) if (p.ppid === tree[i]) tree.push(p.pid);
  return tree.slice(1);
}

describe.each(RUNTIMES)("serve --reload on %s", (runtime) => {
  it("restarts on in-place writes and atomic renames, reports a broken save, recovers, and SIGTERM ends every process", async () => {
    const dir = `${tmp}${runtime}/`;
    const appFile = `${dir}reload-app.ts`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(appFile, source("json({ v: 1 })"));
    // Its own process group, so the cleanup can reach whatever it leaves behind; the test itself signals only its pid.
    const child = spawn(process.execPath, [launcher, "--runtime", runtime, "--reload", "--port", "0", appFile], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
      detached: true,
    });
    const launcherPid = child.pid!;
    const exited = once(child, "exit");
    const seen = new Set<number>([launcherPid]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (out += c));
    const version = async () => {
      for (const pid of descendants(launcherPid)) seen.add(pid);
      const url = [...out.matchAll(/listening on (http:\/\/\S+)/g)].at(-1)?.[1];
      if (!url) return undefined;
      return ((await (await fetch(`${url}/v`, { signal: AbortSignal.timeout(2000) })).json()) as { v: number }).v;
    };
    const serving = (v: number, what: string) => until(async () => ((await version()) === v ? v : undefined), `v${v} ${what}`);
    const atomicSave = (text: string) => {
      writeFileSync(`${dir}.reload-app.ts.tmp`, text);
      renameSync(`${dir}.reload-app.ts.tmp`, appFile);
    };
    try {
      await serving(1, "at start");
      writeFileSync(appFile, source("json({ v: 2 })"));
      await serving(2, "after an in-place write");
      atomicSave(source("json({ v: 3 })"));
      await serving(3, "after an atomic rename");
      writeFileSync(appFile, source("json({ v: 4 })"));
      await serving(4, "after an in-place write following the rename");
      atomicSave(source("json({ v: 5 })"));
      await serving(5, "after a second atomic rename");
      const mark = out.length;
      writeFileSync(appFile, source("json({ v: 6 }"));
      await until(async () => (/cannot load app module .*reload-app\.ts/.test(out.slice(mark)) ? true : undefined), "the load error");
      writeFileSync(appFile, source("json({ v: 7 })"));
      await serving(7, "after fixing the syntax error");

      for (const pid of descendants(launcherPid)) seen.add(pid);
      expect(seen.size, "the launcher's children were seen").toBeGreaterThan(1);
      process.kill(launcherPid, "SIGTERM");
      const [code, signal] = (await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000, ["still running", null]))])) as unknown[];
      expect({ code, signal }, `the launcher's exit on SIGTERM; output:\n${out}`).toEqual({ code: 0, signal: null });
      const alive = () => processes().filter((p) => seen.has(p.pid) || p.pgid === launcherPid).map((p) => p.pid);
      await until(async () => (alive().length === 0 ? true : undefined), "every process to exit", 5_000).catch(() => undefined);
      expect(alive(), "processes left after SIGTERM").toEqual([]);
      expect(out.slice(mark), "the supervisor's report of the broken save").toMatch(/reload: the server exited \(code 1\); waiting for a change/);
    } finally {
      try {
        process.kill(-launcherPid, "SIGKILL"); // the launcher's process group: whatever a failed step left behind
      } catch {
        // none left
      }
    }
  }, 90_000);
});

describe("what serve --reload watches", () => {
  it("subfolders (new ones too) and each --reload-dir, relative to where it runs, but no other files", async () => {
    const root = `${tmp}dirs/`;
    mkdirSync(`${root}app/lib`, { recursive: true });
    mkdirSync(`${root}app/node_modules/dep`, { recursive: true });
    mkdirSync(`${root}shared`, { recursive: true });
    writeFileSync(`${root}app/lib/value.ts`, "export const v = 1;\n");
    writeFileSync(`${root}shared/extra.ts`, "export const w = 1;\n");
    writeFileSync(
      `${root}app/app.ts`,
      `import { App, json } from "@asyncview/core";\nimport { v } from "./lib/value.ts";\nimport { w } from "../shared/extra.ts";\n` +
        `export default new App().get("/v", () => json({ v, w }));\n`,
    );
    const { INIT_CWD: _cwd, ...here } = env; // pnpm's INIT_CWD would win over cwd
    const child = spawn(process.execPath, [launcher, "--reload", "--reload-dir", "app", "--reload-dir", "shared", "--port", "0", "app/app.ts"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: here,
      detached: true,
    });
    const exited = once(child, "exit");
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (out += c));
    const serving = (expected: string, what: string) =>
      until(async () => {
        const url = [...out.matchAll(/listening on (http:\/\/\S+)/g)].at(-1)?.[1];
        if (!url) return undefined;
        const body = await (await fetch(`${url}/v`, { signal: AbortSignal.timeout(2000) })).text();
        return body === expected ? true : undefined;
      }, what);
    const restarts = () => out.match(/changed; restarting/g)?.length ?? 0;
    try {
      await serving(`{"v":1,"w":1}`, "the first start");
      writeFileSync(`${root}app/lib/value.ts`, "export const v = 2;\n");
      await serving(`{"v":2,"w":1}`, "a change in a subfolder");
      writeFileSync(`${root}shared/extra.ts`, "export const w = 2;\n");
      await serving(`{"v":2,"w":2}`, "a change in the second --reload-dir");

      const before = restarts();
      writeFileSync(`${root}app/notes.txt`, "not source");
      writeFileSync(`${root}app/.draft.ts`, "a dotfile");
      writeFileSync(`${root}app/node_modules/dep/index.js`, "in node_modules");
      await new Promise((r) => setTimeout(r, 600));
      expect(restarts(), `restarts for files that are not watched; output:\n${out}`).toBe(before);

      mkdirSync(`${root}app/later`);
      await until(async () => (/app\/later changed; restarting/.test(out) ? true : undefined), "a restart for the new folder");
      writeFileSync(`${root}app/later/x.ts`, "export {};\n");
      await until(async () => (/app\/later\/x\.ts changed; restarting/.test(out) ? true : undefined), "a restart for a file in the new folder");
    } finally {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // none left
      }
    }
  }, 60_000);

  it("refuses a --reload-dir that is not a folder", () => {
    const run = spawnSync(process.execPath, [launcher, "--reload", "--reload-dir", `${tmp}no-such-dir`, "--port", "0", "app.ts"], { encoding: "utf8", env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot watch ${tmp}no-such-dir: no such folder`);
  });
});
