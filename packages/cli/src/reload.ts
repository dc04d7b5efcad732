// `serve --reload`, uvicorn's way on every runtime: the launcher watches the source folders and restarts the server
// process on a change; a server that exits on its own (a module that fails to load) is reported and waits for one.

import type { ChildProcess } from "node:child_process";
import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveAppPath } from "./load-app.ts";

/** Events closer together than this are one change (a save is often several events). */
const DEBOUNCE_MS = 100;
/** How long a server being restarted or stopped may take to close gracefully before it is killed. */
const GRACE_MS = 3_000;
/** The files whose change restarts the server; others (logs, databases, editors' swap files) do not. */
const SOURCE = /\.([cm]?[jt]sx?|json)$/;
/** The asyncview packages whose source the CLI runs: watched too when it runs from source (the workspace). */
const PACKAGES = ["@asyncview/core", "@asyncview/node", "@asyncview/bun", "@asyncview/deno", "@asyncview/blocking"];

const ignored = (name: string) => name === "node_modules" || name.startsWith(".");

/**
 * The folders `--reload` watches: each `--reload-dir` (resolved like the app module), else the app module's folder;
 * in the workspace, also the asyncview packages' source folders.
 */
export function reloadDirs(app: string, dirs: readonly string[]): string[] {
  const own = dirs.length > 0 ? dirs.map((dir) => resolveAppPath(dir)) : [dirname(resolveAppPath(app))];
  const workspace = import.meta.url.endsWith(".ts") ? PACKAGES.map((name) => dirname(fileURLToPath(import.meta.resolve(name)))) : [];
  return [...new Set([...own, ...workspace])];
}

/**
 * Calls `changed` with the path of each source file created, changed, renamed or removed under `roots`, skipping
 * node_modules and dot-folders. Each folder has its own watcher: Node's recursive watch on Linux follows a file's
 * inode, so it misses every save after an editor's atomic one (write a temp file, rename it over the original).
 * Returns a function that closes them all.
 */
function watchTree(roots: readonly string[], changed: (path: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  const forget = (path: string) => {
    for (const [dir, watcher] of watchers) {
      if (dir === path || dir.startsWith(path + sep)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
  };
  const add = (dir: string) => {
    if (watchers.has(dir)) return;
    let watcher: FSWatcher;
    let entries: Dirent[];
    try {
      watcher = watch(dir, (_event, name) => {
        if (name === null) return changed(dir);
        if (ignored(name)) return;
        const path = join(dir, name);
        let folder = false;
        try {
          folder = statSync(path).isDirectory();
        } catch {
          forget(path); // removed or renamed away
        }
        if (folder) add(path);
        if (folder || SOURCE.test(name)) changed(path);
      });
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed since it was seen (the roots were checked to be folders)
    }
    watcher.on("error", () => forget(dir));
    watchers.set(dir, watcher);
    for (const entry of entries) if (entry.isDirectory() && !ignored(entry.name)) add(join(dir, entry.name));
  };
  for (const root of roots) add(root);
  return () => {
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}

interface Running {
  process: ChildProcess;
  exited: Promise<void>;
  /** Set once the supervisor stops it, so its exit is not reported as the server's own. */
  stopping: boolean;
}

/**
 * Runs the server that `start` spawns, restarting it when a source file under `dirs` changes, until SIGINT or
 * SIGTERM stops it and exits 0. A server that exits on its own is reported and started again on the next change.
 */
export function superviseWithReload(start: () => ChildProcess, dirs: readonly string[]): void {
  let current: Running | undefined;
  let shuttingDown = false;
  let restarting = false;
  let timer: NodeJS.Timeout | undefined;

  const run = () => {
    const child = start();
    const running: Running = {
      process: child,
      stopping: false,
      exited: new Promise((resolve) =>
        child.once("exit", (code, signal) => {
          if (!running.stopping) console.error(`reload: the server exited (${code === null ? signal : `code ${code}`}); waiting for a change`);
          resolve();
        }),
      ),
    };
    current = running;
  };
  const stop = async (running: Running) => {
    running.stopping = true;
    running.process.kill("SIGTERM");
    const kill = setTimeout(() => running.process.kill("SIGKILL"), GRACE_MS);
    await running.exited;
    clearTimeout(kill);
  };
  // A change seen while the old server stops is in the files the new one loads, so it needs no restart of its own.
  const restart = async (path: string) => {
    if (restarting || shuttingDown) return;
    restarting = true;
    console.error(`reload: ${path} changed; restarting`);
    if (current) await stop(current);
    restarting = false;
    if (!shuttingDown) run();
  };

  const close = watchTree(dirs, (path) => {
    clearTimeout(timer);
    timer = setTimeout(() => void restart(path), DEBOUNCE_MS);
  });
  console.error(`reload: watching ${dirs.join(", ")}`);
  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearTimeout(timer);
    close();
    if (current) await stop(current);
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  run();
}
