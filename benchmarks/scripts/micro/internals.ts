// The asyncview sources the microbenchmarks time, imported by path: @asyncview/benchmarks does not depend on core,
// and the JSON depth scan and the relay are internal to it. One place to repoint.

export { App, json, ndjson, readJson, silentLogger, stream, text } from "../../../packages/core/src/index.ts";
export { headerPairs, installRuntime, nativeResponse, toFetchResponse } from "../../../packages/core/src/adapter.ts";
export { jsonTooDeep } from "../../../packages/core/src/body.ts";
