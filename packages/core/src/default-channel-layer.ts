// The process's default channel layer: what an App created without `channelLayer` uses. The CLI's
// `--channel-layer redis://...` installs a Redis layer here in the runtime's process before it imports the app module.

import { type ChannelLayer, memoryChannelLayer } from "./channel-layer.ts";

let installed: ChannelLayer | undefined;

/** Sets the layer an App created without `channelLayer` uses; undefined goes back to a new in-process layer each. */
export function setDefaultChannelLayer(layer: ChannelLayer | undefined): void {
  installed = layer;
}

/** The layer for an App created without one: the one `setDefaultChannelLayer` installed, else a new in-process layer. */
export function defaultChannelLayer(): ChannelLayer {
  return installed ?? memoryChannelLayer();
}
