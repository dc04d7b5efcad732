// The progress line on stderr: a bar, what is running now, and the time left (estimated from the planned
// seconds). On a terminal it redraws in place; elsewhere (CI logs) it prints one line per step.

export class Progress {
  readonly #total: number;
  #done = 0;
  readonly #started = performance.now();
  readonly #tty: boolean;
  readonly #out: NodeJS.WriteStream;

  /** `totalS`: the planned seconds of every step together. */
  constructor(totalS: number, out: NodeJS.WriteStream = process.stderr) {
    this.#total = Math.max(totalS, 1e-9);
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  /** Shows the step about to run, with the share of the plan done and the time left. */
  step(label: string): void {
    const fraction = Math.min(1, this.#done / this.#total);
    const elapsed = (performance.now() - this.#started) / 1000;
    // Time left: the plan's remaining seconds, scaled by how far reality has run from the plan so far.
    const pace = this.#done > 0 ? elapsed / this.#done : 1;
    const left = Math.max(0, (this.#total - this.#done) * pace);
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
    const line = `${bar}  ${formatDuration(left)} left  ${label}`;
    if (this.#tty) this.#out.write(`\r\x1b[2K${line.slice(0, (this.#out.columns || 120) - 1)}`);
    else this.#out.write(`${line}\n`);
  }

  /** Marks `seconds` of the plan as done. */
  advance(seconds: number): void {
    this.#done += seconds;
  }

  /** Clears the line (terminal) so tables print cleanly. */
  finish(): void {
    if (this.#tty) this.#out.write("\r\x1b[2K");
  }
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
