// Onion-style middleware: each layer gets `next()` to run the rest of the stack, once; with `recover`, an error thrown
// below a layer reaches it as a response (Django's convert_exception_to_response). The innermost layer is the dispatch.

import type { Context, Middleware } from "./types.ts";

/** Turns an error thrown below a layer into the response that layer's `next()` returns. */
export type Recover = (error: unknown, request: Request, ctx: Context) => Response;

/**
 * Runs `stack` around `inner`. With `recover`, `next()` always resolves to a Response: whatever the layers below
 * threw is handed to `recover` first. Without it, errors propagate. Calling `next()` twice in one layer throws.
 */
export function compose(
  stack: readonly Middleware[],
  inner: (request: Request, ctx: Context) => Response | Promise<Response>,
  recover?: Recover,
): (request: Request, ctx: Context) => Response | Promise<Response> {
  if (stack.length === 0) return inner;
  return (request, ctx) => {
    let last = -1;
    const dispatch = async (index: number): Promise<Response> => {
      if (index <= last) throw new Error("next() called more than once in one middleware");
      last = index;
      const layer = stack[index];
      const run = () => (layer ? layer(request, ctx, () => dispatch(index + 1)) : inner(request, ctx));
      if (!recover) return run();
      try {
        return await run();
      } catch (error) {
        return recover(error, request, ctx);
      }
    };
    return dispatch(0);
  };
}
