// The commit record of every result: a real `git` in a temporary repository, clean and then dirty, on a branch and
// detached; no record (not an error) outside a checkout or without git at all; and how the tables and the report show it.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gitInfo } from "../src/provenance.ts";
import { renderHtml } from "../src/report-html.ts";
import type { BenchResult, GitInfo } from "../src/schema.ts";
import { resultTables } from "../src/table.ts";
import { buildFixture } from "./fixture.ts";

const work = mkdtempSync(join(tmpdir(), "asyncview-bench-git-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const git = (repo: string, ...args: string[]) =>
  execFileSync("git", ["-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false", ...args], { encoding: "utf8" }).trim();

describe("gitInfo", () => {
  it("records the commit, the branch and whether the tree is dirty", () => {
    const repo = join(work, "repo");
    execFileSync("git", ["init", "-q", "-b", "trunk", repo]);
    writeFileSync(join(repo, "app.ts"), "export {};\n");
    git(repo, "add", "app.ts");
    git(repo, "commit", "-q", "-m", "first");
    const commit = git(repo, "rev-parse", "HEAD");
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(gitInfo(repo)).toEqual({ commit, dirty: false, branch: "trunk" });

    writeFileSync(join(repo, "app.ts"), "export const changed = 1;\n");
    expect(gitInfo(repo)).toEqual({ commit, dirty: true, branch: "trunk" });
    git(repo, "checkout", "-q", "app.ts");
    writeFileSync(join(repo, "new.ts"), "export {};\n");
    expect(gitInfo(repo), "an untracked file makes the tree dirty too").toMatchObject({ dirty: true });
    rmSync(join(repo, "new.ts"));

    git(repo, "checkout", "-q", "--detach");
    expect(gitInfo(repo), "a detached HEAD has no branch").toEqual({ commit, dirty: false });
  });

  it("is null outside a git checkout, and when git is not installed", () => {
    const plain = join(work, "plain");
    mkdirSync(plain);
    expect(gitInfo(plain)).toBeNull();
    const path = process.env.PATH;
    process.env.PATH = join(work, "no-such-bin");
    try {
      expect(gitInfo(process.cwd())).toBeNull();
    } finally {
      process.env.PATH = path;
    }
  });
});

function withGit(git: GitInfo | undefined): BenchResult {
  const result = buildFixture();
  if (git) result.provenance.git = git;
  else delete result.provenance.git;
  return result;
}

describe("the commit in the tables and the report", () => {
  const commit = "6c36a38e9d1f0b7a2c4e5f60718293a4b5c6d7e8";

  it("names a clean commit and its branch", () => {
    const result = withGit({ commit, dirty: false, branch: "main" });
    expect(resultTables(result)).toMatch(/^code: commit 6c36a38e9d1f \(main\), clean tree$/m);
    expect(resultTables(result, "markdown")).toMatch(/^code: commit `6c36a38e9d1f` \(main\), clean tree$/m);
    expect(renderHtml(result)).toContain(`<dt>code</dt><dd>commit <code>${commit}</code> (main), clean tree</dd>`);
  });

  it("says loudly that a dirty tree is not the commit", () => {
    const result = withGit({ commit, dirty: true });
    expect(resultTables(result)).toMatch(/^code: commit 6c36a38e9d1f with UNCOMMITTED CHANGES: not the code of any commit$/m);
    expect(renderHtml(result)).toContain(`<dt>code</dt><dd>commit <code>${commit}</code> with <span class="bad">uncommitted changes</span>: not the code of any commit</dd>`);
  });

  it("says when no commit was recorded", () => {
    const result = withGit(undefined);
    expect(resultTables(result)).toMatch(/^code: no git commit recorded \(an older result, or not run from a git checkout\)$/m);
    expect(renderHtml(result)).toContain("<dt>code</dt><dd>no git commit recorded (an older result, or not run from a git checkout)</dd>");
  });
});
