// Rooms (Django Channels' groups) behind one interface: a ChannelLayer delivers what is published to a room to every
// subscriber, in this process (memoryChannelLayer, the default) or across processes (a layer over Redis pub/sub).

/** A message a socket or room carries: text, or binary bytes. */
export type SocketMessage = string | Uint8Array;

/** Carries room messages between publishers and subscribers. `new App({ channelLayer })` plugs one in. */
export interface ChannelLayer {
  /** Delivers every message published to `room` (by any process) to `deliver` until the returned unsubscribe runs. */
  subscribe(room: string, deliver: (message: SocketMessage) => void): Promise<() => Promise<void>>;
  /** Sends `message` to every subscriber of `room`; rejects with a clear error when the layer cannot reach them. */
  publish(room: string, message: SocketMessage): Promise<void>;
  /** Releases the layer's resources (connections); subscriptions end. */
  close(): Promise<void>;
}

/**
 * The in-process layer: rooms live in this process only (nothing to install). Delivery is synchronous within
 * `publish`, in subscription order; a subscriber that throws does not stop delivery to the others.
 */
export function memoryChannelLayer(): ChannelLayer {
  const rooms = new Map<string, Set<(message: SocketMessage) => void>>();
  let closed = false;
  return {
    async subscribe(room, deliver) {
      if (closed) throw new Error("the channel layer is closed");
      // Each subscription is its own entry, so subscribing the same function twice delivers twice, as Redis would.
      const entry = (message: SocketMessage) => deliver(message);
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Set()));
      members.add(entry);
      return async () => {
        const current = rooms.get(room);
        if (!current) return;
        current.delete(entry);
        if (current.size === 0) rooms.delete(room);
      };
    },
    async publish(room, message) {
      if (closed) throw new Error("the channel layer is closed");
      const members = rooms.get(room);
      if (!members) return;
      const errors: unknown[] = [];
      for (const deliver of [...members]) {
        try {
          deliver(message);
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, `${errors.length} subscriber(s) of room ${JSON.stringify(room)} failed`);
    },
    async close() {
      closed = true;
      rooms.clear();
    },
  };
}
