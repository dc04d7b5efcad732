// The rooms of a blocking server, kept in its main thread: every worker thread's channel layer (thread-layer.ts)
// subscribes and publishes here by message, so a room spans the sockets of all threads (the memory layer underneath).

import { type ChannelLayer, memoryChannelLayer } from "@asyncview/core";
import type { RoomsFromWorker, RoomsToWorker } from "./protocol.ts";

/** One worker thread's end: where its deliveries and replies go. */
export type ThreadPost = (message: RoomsToWorker) => void;

export class RoomHub {
  readonly #layer: ChannelLayer = memoryChannelLayer();
  /** Each thread's subscriptions, by the thread's subscription id. */
  readonly #threads = new Map<ThreadPost, Map<number, Promise<() => Promise<void>>>>();

  /** Serves one layer call of the thread that posts through `post`; answers it with `layer-reply`. */
  handle(post: ThreadPost, message: RoomsFromWorker): void {
    void this.#run(post, message).then(
      () => post({ type: "layer-reply", call: message.call }),
      (error: unknown) => post({ type: "layer-reply", call: message.call, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  async #run(post: ThreadPost, message: RoomsFromWorker): Promise<void> {
    switch (message.type) {
      case "subscribe": {
        let subs = this.#threads.get(post);
        if (!subs) this.#threads.set(post, (subs = new Map()));
        const { sub } = message;
        const subscription = this.#layer.subscribe(message.room, (delivered) => post({ type: "room", sub, message: delivered }));
        subs.set(sub, subscription);
        await subscription;
        return;
      }
      case "unsubscribe": {
        const subs = this.#threads.get(post);
        const subscription = subs?.get(message.sub);
        if (!subscription) return;
        subs!.delete(message.sub);
        await (await subscription)();
        return;
      }
      case "publish":
        return this.#layer.publish(message.room, message.message);
    }
  }

  /** The thread is gone (it exited): its subscriptions end. */
  forget(post: ThreadPost): void {
    const subs = this.#threads.get(post);
    this.#threads.delete(post);
    for (const subscription of subs?.values() ?? []) void subscription.then((unsubscribe) => unsubscribe());
  }

  close(): Promise<void> {
    this.#threads.clear();
    return this.#layer.close();
  }
}
