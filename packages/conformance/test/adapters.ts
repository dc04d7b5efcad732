// How to start a server of the conformance app on each adapter, as a real process of its runtime.
// Shared by the per-adapter conformance tests and the differential test.

import { fileURLToPath } from "node:url";
import type { AdapterUnderTest } from "../src/index.ts";
import { startServerProcess } from "../src/index.ts";

const entry = (name: string) => fileURLToPath(new URL(`../../cli/src/entries/${name}.ts`, import.meta.url));
export const CONFORMANCE_APP = fileURLToPath(new URL("../src/app.ts", import.meta.url));

export const node: AdapterUnderTest = {
  name: "node",
  start: () => startServerProcess({ command: process.execPath, args: [entry("node"), "--port", "0", CONFORMANCE_APP] }),
};
