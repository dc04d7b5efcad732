// The hostile-client battery's attacks, by name, in the order the script runs them. Each starts its own server
// process(es), attacks it bounded in count and time, and returns its checks and figures (types.ts).

import { abortStorm } from "./abort-storm.ts";
import { bigBodies } from "./big-bodies.ts";
import { fdExhaustion } from "./fd-exhaustion.ts";
import { idleFlood } from "./idle-flood.ts";
import { malformed } from "./malformed.ts";
import { nonReading } from "./non-reading.ts";
import { overload } from "./overload.ts";
import { shutdownDeadline, shutdownDrain } from "./shutdown.ts";
import { slowloris } from "./slowloris.ts";
import type { Attack } from "./types.ts";

export const ATTACKS = {
  malformed,
  slowloris,
  "idle-flood": idleFlood,
  overload,
  "fd-exhaustion": fdExhaustion,
  "abort-storm": abortStorm,
  "non-reading": nonReading,
  "shutdown-drain": shutdownDrain,
  "shutdown-deadline": shutdownDeadline,
  "big-bodies": bigBodies,
} satisfies Record<string, Attack>;

export type AttackName = keyof typeof ATTACKS;

export { soak } from "./soak.ts";
export * from "./types.ts";
