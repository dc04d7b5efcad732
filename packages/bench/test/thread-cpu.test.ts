// CPU per request counts every thread of a server, including one that exits during the run (a thread pool shrinking):
// a real process whose worker thread burns CPU and then ends, sampled as the harness samples a target.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { cpuNsOf, sampleUsage } from "../src/processes.ts";

// Once told to (after the first sample), the worker burns 600 ms of its own CPU time (not wall time: a busy machine
// only makes it slower), then exits; the process stays alive after it.
const CHILD = `
const { Worker } = require("node:worker_threads");
const burn = "const own = () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; };" +
  "require('node:worker_threads').parentPort.once('message', () => { const start = own(); while (own() - start < 600) {} process.exit(0); });";
const worker = new Worker(burn, { eval: true });
worker.on("online", () => console.log("ready"));
worker.on("exit", () => console.log("worker gone"));
process.stdin.once("data", () => worker.postMessage("go"));
setTimeout(() => {}, 30000);
`;

describe("sampleUsage: CPU of threads that exit", () => {
  it("keeps a finished worker thread's CPU time, where a difference of two live-thread sums loses it", async () => {
    const child = spawn(process.execPath, ["-e", CHILD], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      let out = "";
      const said = (text: string) =>
        new Promise<void>((resolve) => {
          const check = () => (out.includes(text) ? resolve() : undefined);
          child.stdout!.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            check();
          });
          check();
        });
      await said("ready");
      const before = cpuNsOf(child.pid!)!;
      const sampler = sampleUsage(child.pid!, 20);
      child.stdin!.write("go\n");
      await said("worker gone");
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { cpuNs } = sampler.stop();
      const after = cpuNsOf(child.pid!)!;
      // The worker ran its 600 ms after the first reading; the sampler keeps it up to its last 20 ms sample.
      expect(cpuNs).toBeGreaterThan(300e6);
      // Summing the live threads twice loses it: the worker's time left the sum when it exited.
      expect(after - before).toBeLessThan(cpuNs! - 250e6);
    } finally {
      child.kill();
      await once(child, "exit");
    }
  });
});
