// The demo's embedded SQLite database behind one small interface: node:sqlite on Node and Deno, bun:sqlite on Bun.
// Blocking by nature, so views reach it through syncToAsync (inline in the blocking baseline's threads).

import { existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

/** Users seeded into a new database. */
export const USER_COUNT = 10_000;

export interface User {
  id: number;
  name: string;
  email: string;
}

/** The small interface both drivers are used through. */
interface Database {
  user(id: number): User | undefined;
  close(): void;
}

interface Statement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
}
interface Driver {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/** Where the database lives: $ASYNCVIEW_DEMO_DB, else a file in the system's temp directory. */
export function databasePath(): string {
  return process.env.ASYNCVIEW_DEMO_DB ?? join(tmpdir(), "asyncview-demo-v1.sqlite");
}

async function openDriver(path: string): Promise<Driver> {
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    const specifier = "bun:sqlite"; // computed, so Node's type checker does not look for Bun's module
    const { Database: BunDatabase } = (await import(specifier)) as { Database: new (path: string) => Driver & { query(sql: string): Statement } };
    const db = new BunDatabase(path);
    return { exec: (sql) => db.exec(sql), prepare: (sql) => db.query(sql), close: () => db.close() };
  }
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  return { exec: (sql) => db.exec(sql), prepare: (sql) => db.prepare(sql) as unknown as Statement, close: () => db.close() };
}

/**
 * Creates and seeds the database if it does not exist yet. Seeding writes a private file and renames it into
 * place (atomic), so several threads or processes starting at once never see a half-filled database.
 */
export async function ensureDatabase(path = databasePath()): Promise<{ path: string; created: boolean }> {
  if (existsSync(path)) return { path, created: false };
  const temp = `${path}.${process.pid}-${threadId}.tmp`;
  rmSync(temp, { force: true });
  const db = await openDriver(temp);
  try {
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO users (id, name, email) VALUES (?, ?, ?)");
    db.exec("BEGIN");
    for (let id = 1; id <= USER_COUNT; id++) insert.run(id, `User ${id}`, `user${id}@example.com`);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
  renameSync(temp, path);
  return { path, created: true };
}

let opened: Promise<Database> | undefined;

async function database(): Promise<Database> {
  return (opened ??= (async () => {
    const path = databasePath();
    await ensureDatabase(path);
    const driver = await openDriver(path);
    const byId = driver.prepare("SELECT id, name, email FROM users WHERE id = ?");
    return {
      user: (id) => (byId.get(id) as User | null | undefined) ?? undefined,
      close: () => driver.close(),
    };
  })());
}

/** The seed's `User.objects.get(id=...)`: one row, or null. Called through syncToAsync. */
export async function getUser(id: number): Promise<User | null> {
  const row = (await database()).user(id);
  return row ? { id: row.id, name: row.name, email: row.email } : null;
}
