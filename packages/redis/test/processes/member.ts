// One process in a room over Redis, run under node, bun or deno by the cross-process test:
// `member.ts subscribe URL ROOM` prints "ready", then one JSON line per message; `member.ts publish URL ROOM` sends MESSAGES.

import process from "node:process";
import { redisChannelLayer } from "../../src/index.ts";
import { MESSAGES, printable } from "./messages.ts";

const [mode, url, room] = process.argv.slice(2);
if (!url || !room || (mode !== "subscribe" && mode !== "publish")) {
  console.error("usage: member.ts subscribe|publish URL ROOM");
  process.exit(2);
}
const layer = redisChannelLayer(url, { logger: { info: (m) => console.error(m), warn: (m) => console.error(m), error: (m) => console.error(m) } });
await layer.ready();
if (mode === "publish") {
  for (const message of MESSAGES) await layer.publish(room, message);
  await layer.close();
  process.exit(0);
}
await layer.subscribe(room, (message) => console.log(JSON.stringify(printable(message))));
console.log("ready");
process.once("SIGTERM", () => void layer.close().then(() => process.exit(0)));
