// Real Redis servers for the tests: Debian's redis-server on a free port, without persistence, stopped by its pid.
// `kill()` stops one abruptly (an outage) and `start()` brings it back on the same port.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";

const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";
const REDIS_CLI = process.env.REDIS_CLI ?? "redis-cli";

/** A port the kernel just reported free (redis-server needs a number; --port 0 would disable TCP). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  #child: ChildProcess | undefined;
  readonly port: number;
  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** Starts redis-server on this port and resolves once it accepts connections (at most 10 s). */
  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on port ${this.port} not ready within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${REDIS_SERVER} (apt-get install redis-server; .ci/run installs it): ${error.message}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${this.port} exited (${code}) before it was ready:\n${output}`));
      });
    });
  }

  /** Stops the server with SIGKILL (no goodbye to the clients: an outage) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. `thaw()` resumes it. */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Runs a command through redis-cli against this server; resolves to its output lines. */
  async cli(...args: string[]): Promise<string[]> {
    const { stdout } = await promisify(execFile)(REDIS_CLI, ["-p", String(this.port), ...args], { timeout: 10_000 });
    return stdout.split("\n").filter((line) => line !== "");
  }

  /** The Redis channels with at least one subscriber, sorted. */
  async channels(): Promise<string[]> {
    return (await this.cli("PUBSUB", "CHANNELS")).sort();
  }
}
