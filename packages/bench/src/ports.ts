// `--ports 19500-19599`: every server the harness starts (targets, the upstream service, the trivial server of the
// client-headroom check) listens on a port from this range, taken in turn after checking it is free on 127.0.0.1.

import { createServer } from "node:net";

export interface PortRange {
  first: number;
  last: number;
}

/** "19500-19599" as a range, or null when malformed (ports 1024..65535, first <= last). */
export function parsePortRange(text: string): PortRange | null {
  const match = /^(\d{4,5})-(\d{4,5})$/.exec(text.trim());
  if (!match) return null;
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (first < 1024 || last > 65535 || first > last) return null;
  return { first, last };
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Hands out ports: from the range in turn (skipping busy ones, wrapping round), or 0 (the OS picks) without one. */
export class PortPool {
  readonly range: PortRange | null;
  #next: number;
  constructor(range: PortRange | null) {
    this.range = range;
    this.#next = range?.first ?? 0;
  }

  /** A free port from the range; 0 without a range. Throws when every port in the range is busy. */
  async take(): Promise<number> {
    const range = this.range;
    if (!range) return 0;
    const size = range.last - range.first + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.#next;
      this.#next = port === range.last ? range.first : port + 1;
      if (await portFree(port)) return port;
    }
    throw new Error(`no free port in ${range.first}-${range.last} on 127.0.0.1`);
  }
}
