// The WebSocket benchmark's targets: asyncview's demo (/ws/echo, /ws/chat/:room) on its four adapters, and each runtime's
// bare WebSocket server doing the same work by hand (ws on node:http, Bun.serve's websocket, Deno.upgradeWebSocket).

import { asyncviewTargets, DEMO_APP, script, type TargetDef } from "./targets.ts";

function bare(id: string, label: string, runtime: "node" | "bun" | "deno", file: string): TargetDef {
  return {
    id,
    label,
    runtime,
    kind: "bare",
    lacks: [],
    command: ({ port }) => script(runtime, file, port),
  };
}

export const WS_TARGETS: readonly TargetDef[] = [
  ...asyncviewTargets(DEMO_APP),
  bare("ws-node", "ws on node:http", "node", "ws-node.ts"),
  bare("ws-bun", "bare Bun.serve websocket", "bun", "ws-bun.ts"),
  bare("ws-deno", "bare Deno.upgradeWebSocket", "deno", "ws-deno.ts"),
];

export const DEFAULT_WS_TARGETS = WS_TARGETS.map((t) => t.id);

export function wsTargetById(id: string): TargetDef | undefined {
  return WS_TARGETS.find((t) => t.id === id);
}

/** The bare WebSocket server of a target's runtime, the yardstick for its ratio. */
export function wsBareOf(target: { runtime: TargetDef["runtime"] }): string {
  return `ws-${target.runtime}`;
}
