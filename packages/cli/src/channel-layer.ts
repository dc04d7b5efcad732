// The channel layer `--channel-layer` names, built in the runtime's own process (the launcher only parses the flag):
// a Redis URL gives @asyncview/redis's layer, imported only when the flag is given.

import type { ChannelLayer } from "@asyncview/core";
import type { ServeArgs } from "./args.ts";

export async function channelLayerFor(args: ServeArgs): Promise<ChannelLayer | undefined> {
  if (args.channelLayer === undefined) return undefined;
  const { redisChannelLayer } = await import("@asyncview/redis");
  return redisChannelLayer(args.channelLayer);
}
