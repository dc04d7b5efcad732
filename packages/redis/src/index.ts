// @asyncview/redis: rooms that span processes and machines, as a core ChannelLayer over Redis pub/sub.
// `new App({ channelLayer: redisChannelLayer("redis://127.0.0.1:6379") })`, or `asyncview serve --channel-layer redis://...`.

export {
  CLIENT_NAME,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_PREFIX,
  DEFAULT_PUBLISH_TIMEOUT,
  DEFAULT_RECONNECT_MAX_DELAY,
  DEFAULT_RECONNECT_MIN_DELAY,
  redisChannelLayer,
  type RedisChannelLayer,
  type RedisChannelLayerOptions,
} from "./redis-channel-layer.ts";
export { ChannelLayerUnavailableError } from "./unavailable.ts";
