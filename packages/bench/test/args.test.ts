// Where a run's files go: by default an ignored folder at the repository root, so a user's run leaves `git status`
// clean; into the tracked benchmarks/results only with --publish (or --out there), and only from a clean tree.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUT, parseBenchArgs, PUBLISHED_OUT, UsageError } from "../src/args.ts";
import { REPO_ROOT } from "../src/provenance.ts";
import type { BenchOptions } from "../src/args.ts";
import type { GitInfo } from "../src/schema.ts";

const clean: GitInfo = { commit: "6c36a38e9d1f0b7a2c4e5f60718293a4b5c6d7e8", dirty: false, branch: "main" };
const dirty: GitInfo = { ...clean, dirty: true };
const parse = (argv: string[], git: GitInfo | null) => parseBenchArgs(argv, { wrkInstalled: true, git }) as BenchOptions;

describe("the output folder", () => {
  it("is .bench-results at the repository root by default, which git ignores", () => {
    expect(DEFAULT_OUT).toBe(join(REPO_ROOT, ".bench-results"));
    expect(parse([], dirty).out).toBe(DEFAULT_OUT);
    const ignored = spawnSync("git", ["-C", REPO_ROOT, "check-ignore", "-q", join(DEFAULT_OUT, "2026-11-26.json")]);
    expect(ignored.status, "git check-ignore: the default folder is ignored").toBe(0);
    const tracked = spawnSync("git", ["-C", REPO_ROOT, "check-ignore", "-q", join(PUBLISHED_OUT, "2026-11-26.json")]);
    expect(tracked.status, "the published folder is not ignored").toBe(1);
  });

  it("--out takes any folder, whatever the tree", () => {
    expect(parse(["--out", "/tmp/mine"], dirty).out).toBe("/tmp/mine");
    expect(parse(["--out", "/tmp/mine"], null).out).toBe("/tmp/mine");
  });

  it("--publish writes into benchmarks/results from a clean tree", () => {
    expect(PUBLISHED_OUT).toBe(join(REPO_ROOT, "benchmarks", "results"));
    expect(parse(["--publish"], clean).out).toBe(PUBLISHED_OUT);
  });

  it.each([
    ["--publish from a dirty tree", ["--publish"], dirty, /refusing to publish: the tree has uncommitted changes/],
    ["--publish outside a git checkout", ["--publish"], null, /refusing to publish: no git commit to record/],
    ["--out benchmarks/results from a dirty tree", ["--out", join(PUBLISHED_OUT, ".")], dirty, /refusing to publish: the tree has uncommitted changes/],
    ["--publish with --out", ["--publish", "--out", "/tmp/mine"], clean, /--publish writes to benchmarks\/results; leave out --out/],
  ])("refuses %s", (_what, argv, git, message) => {
    expect(() => parse(argv, git)).toThrow(UsageError);
    expect(() => parse(argv, git)).toThrow(message);
  });
});
