// What the bare WebSocket servers (ws-node.ts, ws-bun.ts, ws-deno.ts) share: the demo's chat route and the exact
// messages its room sends (joined, text, left), so every peer does the demo's work byte for byte.

const CHAT = /^\/ws\/chat\/([^/?]+)$/;

/** The room of a /ws/chat/:room path, or null for any other path. */
export function chatPath(path: string): string | null {
  const match = CHAT.exec(path.split("?")[0]!);
  return match ? decodeURIComponent(match[1]!) : null;
}

export const joined = (room: string, id: string): string => JSON.stringify({ room, joined: id });
export const said = (room: string, id: string, text: string): string => JSON.stringify({ room, from: id, text });
export const left = (room: string, id: string): string => JSON.stringify({ room, left: id });
