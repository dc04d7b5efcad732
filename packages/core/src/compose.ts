// Onion-style middleware: each layer gets `next()` to run the rest of the stack, once.
// The innermost layer is the route dispatch itself.

import type { Context, Middleware } from "./types.ts";

/** Runs `stack` around `inner`; calling `next()` twice in one layer is a bug and throws. */
export function compose(
  stack: readonly Middleware[],
  inner: (request: Request, ctx: Context) => Response | Promise<Response>,
): (request: Request, ctx: Context) => Response | Promise<Response> {
  if (stack.length === 0) return inner;
  return (request, ctx) => {
    let last = -1;
    const dispatch = async (index: number): Promise<Response> => {
      if (index <= last) throw new Error("next() called more than once in one middleware");
      last = index;
      const layer = stack[index];
      if (!layer) return inner(request, ctx);
      return layer(request, ctx, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}
