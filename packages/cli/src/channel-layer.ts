// The channel layer `--channel-layer` names, built in the runtime's own process (the launcher only parses the flag)
// and installed as the default of every App created without one; a Redis URL gives @asyncview/redis's layer.

import { setDefaultChannelLayer } from "@asyncview/core";
import type { ServeArgs } from "./args.ts";

/** Builds and installs the layer when the flag is given (before the app module loads); @asyncview/redis loads only then. */
export async function installChannelLayer(args: ServeArgs): Promise<void> {
  if (args.channelLayer === undefined) return;
  const { redisChannelLayer } = await import("@asyncview/redis");
  setDefaultChannelLayer(redisChannelLayer(args.channelLayer));
}
