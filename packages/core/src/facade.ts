// Lazy facades over native Fetch classes: a cheap object that answers the common getters itself
// and builds the real Request/Response (`materialize()`) only when anything else is touched.

/** An object that can produce the native instance it stands for. */
export interface Materializable<T> {
  materialize(): T;
}

/**
 * Makes every member of `native.prototype` that `facade.prototype` does not define delegate to
 * `this.materialize()`, then chains the prototypes so `instanceof native` holds. No global is touched.
 */
export function delegateToNative(facade: { prototype: object }, native: { prototype: object }): void {
  const target = facade.prototype;
  for (const key of Object.getOwnPropertyNames(native.prototype)) {
    if (key === "constructor" || Object.hasOwn(target, key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(native.prototype, key)!;
    if (typeof descriptor.value === "function") {
      Object.defineProperty(target, key, {
        configurable: true,
        writable: true,
        value(this: Materializable<Record<string, (...args: unknown[]) => unknown>>, ...args: unknown[]) {
          return this.materialize()[key]!(...args);
        },
      });
    } else if (descriptor.get) {
      Object.defineProperty(target, key, {
        configurable: true,
        get(this: Materializable<Record<string, unknown>>) {
          return this.materialize()[key];
        },
      });
    }
  }
  Object.setPrototypeOf(target, native.prototype);
}
