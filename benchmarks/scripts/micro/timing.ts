// The microbenchmarks' timing: each case is warmed up, then run in batches; the median batch's ns/op is reported.
// A case is sync or async (awaited one call at a time); what a call returns is kept in a sink so it is not optimised away.

/** One hot-path case: `run` does one operation; `group` names the hot path in the table. */
export interface Case {
  group: string;
  name: string;
  run: () => unknown;
  /** Runtimes the case runs on (default: all). */
  runtimes?: readonly string[];
}

export interface Timing {
  nsPerOp: number;
  /** Spread of the batches: (max - min) / median. */
  spread: number;
  ops: number;
}

export interface TimingOptions {
  /** Wall time of the warm-up, which also calibrates the batch size (ms). */
  warmupMs: number;
  /** Target wall time of one batch (ms). */
  batchMs: number;
  batches: number;
}

export const DEFAULT_TIMING: TimingOptions = { warmupMs: 150, batchMs: 50, batches: 11 };

let sink = 0;
function keep(value: unknown): void {
  if (value !== undefined && value !== null) sink ^= 1;
}

const now = (): number => performance.now();

async function loop(run: () => unknown, async: boolean, n: number): Promise<number> {
  const start = now();
  if (async) for (let i = 0; i < n; i++) keep(await run());
  else for (let i = 0; i < n; i++) keep(run());
  return now() - start;
}

/** Times one case: warm-up (calibrating ops per batch), then `batches` batches; the median's ns/op. */
export async function time(run: () => unknown, options: TimingOptions = DEFAULT_TIMING): Promise<Timing> {
  const first = run();
  const async = first instanceof Promise;
  keep(async ? await first : first);
  let n = 1;
  let done = 0;
  let elapsed = 0;
  const warmStart = now();
  while (now() - warmStart < options.warmupMs) {
    elapsed += await loop(run, async, n);
    done += n;
    n *= 2;
  }
  const perOpMs = elapsed / Math.max(done, 1);
  const ops = Math.max(1, Math.round(options.batchMs / Math.max(perOpMs, 1e-6)));
  const samples: number[] = [];
  for (let b = 0; b < options.batches; b++) samples.push(((await loop(run, async, ops)) * 1e6) / ops);
  samples.sort((x, y) => x - y);
  const median = samples[samples.length >> 1]!;
  return { nsPerOp: median, spread: (samples[samples.length - 1]! - samples[0]!) / median, ops };
}

/** The sink's value, printed nowhere; exported so no engine can prove the kept results unused. */
export const sinkValue = (): number => sink;
