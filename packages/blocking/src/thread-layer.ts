// A worker thread's channel layer: it keeps no room itself but subscribes and publishes through the main thread's
// RoomHub, so the sockets of different threads share rooms. Installed as the thread's default before the app loads.

import type { ChannelLayer, SocketMessage } from "@asyncview/core";
import type { RoomsFromWorker, ToWorker } from "./protocol.ts";

/** The worker's end of its channel to the main thread. */
export interface ThreadPort {
  postMessage(message: RoomsFromWorker): void;
  on(event: "message", listener: (message: ToWorker) => void): unknown;
}

/** A layer call as the worker writes it: the call id is added when it is posted. */
type LayerCall = { [T in RoomsFromWorker["type"]]: Omit<Extract<RoomsFromWorker, { type: T }>, "call"> }[RoomsFromWorker["type"]];

export function threadChannelLayer(port: ThreadPort): ChannelLayer {
  const deliveries = new Map<number, (message: SocketMessage) => void>();
  const calls = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextCall = 0;
  let nextSub = 0;
  let closed = false;
  port.on("message", (message) => {
    if (message.type === "room") deliveries.get(message.sub)?.(message.message);
    else if (message.type === "layer-reply") {
      const call = calls.get(message.call);
      calls.delete(message.call);
      if (message.error === undefined) call?.resolve();
      else call?.reject(new Error(message.error));
    }
  });
  /** Posts one layer call and waits for the main thread's answer. */
  const call = (message: LayerCall): Promise<void> => {
    if (closed) return Promise.reject(new Error("the channel layer is closed"));
    const id = nextCall++;
    return new Promise<void>((resolve, reject) => {
      calls.set(id, { resolve, reject });
      port.postMessage({ ...message, call: id } as RoomsFromWorker);
    });
  };
  const unsubscribe = async (sub: number): Promise<void> => {
    if (!deliveries.delete(sub) || closed) return;
    await call({ type: "unsubscribe", sub });
  };
  return {
    async subscribe(room, deliver) {
      const sub = nextSub++;
      deliveries.set(sub, deliver);
      try {
        await call({ type: "subscribe", sub, room });
      } catch (error) {
        deliveries.delete(sub);
        throw error;
      }
      return () => unsubscribe(sub);
    },
    publish(room, message) {
      return call({ type: "publish", room, message });
    },
    async close() {
      await Promise.all([...deliveries.keys()].map((sub) => unsubscribe(sub).catch(() => {})));
      closed = true;
    },
  };
}
