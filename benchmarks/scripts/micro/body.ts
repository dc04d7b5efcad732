// Body reader hot path: core's readJson on a 1 KB and a 100 KB body through a Web Request (built per op, as a
// server would hand it over), with and without the JSON depth limit (the difference is the scan before JSON.parse).

import { readJson } from "@asyncview/core";
import type { Case } from "./timing.ts";

/** A JSON array of small records, about `bytes` long once serialised. */
function jsonOf(bytes: number): string {
  const records: { id: number; name: string; tags: string[]; nested: { ok: boolean } }[] = [];
  let length = 2; // the brackets
  for (let id = 0; length < bytes; id++) {
    const record = { id, name: `user ${id}`, tags: ["a", "b"], nested: { ok: id % 2 === 0 } };
    records.push(record);
    length += JSON.stringify(record).length + 1; // and its comma
  }
  return JSON.stringify(records);
}

const small = jsonOf(1024);
const large = jsonOf(100 * 1024);
const post = (body: string, maxDepth?: number) => () =>
  readJson(new Request("http://127.0.0.1:8000/echo", { method: "POST", headers: { "content-type": "application/json" }, body }), {
    maxDepth,
  });

export const bodyCases: Case[] = [
  { group: "body", name: `readJson ${(small.length / 1024).toFixed(0)} KB`, run: post(small) },
  { group: "body", name: `readJson ${(large.length / 1024).toFixed(0)} KB`, run: post(large) },
  { group: "body", name: `readJson ${(small.length / 1024).toFixed(0)} KB, no depth limit`, run: post(small, Infinity) },
  { group: "body", name: `readJson ${(large.length / 1024).toFixed(0)} KB, no depth limit`, run: post(large, Infinity) },
];
