// @asyncview/conformance: the black-box HTTP suite every adapter must pass, and the app it runs against.
// Use: `defineConformanceSuite({ name: "node", start: () => startServerProcess({ command, args }) })` in a vitest file.

export { defineConformanceSuite, type AdapterUnderTest, type CheckId } from "./suite.ts";
export {
  COMPARED_HEADERS,
  describeRaw,
  diff,
  observe,
  observeRaw,
  parseRawResponse,
  PROBES,
  RAW_PROBES,
  rawExchange,
  type Observation,
  type Probe,
  type RawExchange,
  type RawObservation,
  type RawProbe,
  type RawResponse,
} from "./differential.ts";
export { startServerProcess, type ServerProcess, type StartOptions } from "./process.ts";
