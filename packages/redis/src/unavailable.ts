// The error a room operation throws while Redis cannot be reached: an HttpError, so a view that lets it through
// answers 503 {"error":{"code":"channel_layer_unavailable",...}} with Retry-After, and the message names the URL.

import { HttpError } from "@asyncview/core";

export class ChannelLayerUnavailableError extends HttpError {
  constructor(message: string, cause: unknown) {
    super(503, message, { code: "channel_layer_unavailable", headers: { "retry-after": "1" }, cause });
    this.name = "ChannelLayerUnavailableError";
  }
}
