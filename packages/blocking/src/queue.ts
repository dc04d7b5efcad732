// A bounded FIFO: requests wait here, in the main thread, for a free worker thread (gunicorn's backlog).
// `offer` refuses when full (the caller answers 503); `remove` drops a request whose client left while waiting.

export class BoundedQueue<T> {
  readonly capacity: number;
  /** A Set iterates in insertion order: first in, first out, and removal from the middle is O(1). */
  readonly #items = new Set<T>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Appends `item`; false (and nothing changes) when the queue is full. */
  offer(item: T): boolean {
    if (this.#items.size >= this.capacity) return false;
    this.#items.add(item);
    return true;
  }

  /** Removes and returns the oldest item. */
  take(): T | undefined {
    const first = this.#items.values().next();
    if (first.done) return undefined;
    this.#items.delete(first.value);
    return first.value;
  }

  /** Removes `item` wherever it is; false when it was not queued. */
  remove(item: T): boolean {
    return this.#items.delete(item);
  }
}
