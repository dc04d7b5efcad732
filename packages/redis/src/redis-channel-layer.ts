// A ChannelLayer over Redis pub/sub, so rooms span processes and machines: one publishing and one subscribing
// connection per layer (node-redis), a Redis channel subscribed only while this process has a member in the room.

import { Buffer } from "node:buffer";
import { createClient } from "@redis/client";
import { type ChannelLayer, consoleLogger, type Logger, type SocketMessage } from "@asyncview/core";
import { decode, encode } from "./envelope.ts";
import { ChannelLayerUnavailableError } from "./unavailable.ts";

/** Prepended to every room's Redis channel name, so several apps can share one Redis. */
export const DEFAULT_PREFIX = "asyncview:";
/** First reconnect delay after Redis went away, in ms; each failed attempt doubles it up to the maximum. */
export const DEFAULT_RECONNECT_MIN_DELAY = 100;
/** Longest wait between two reconnect attempts, in ms. */
export const DEFAULT_RECONNECT_MAX_DELAY = 5_000;
/** How long one attempt to connect may take, in ms. */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;
/** The connections' name in Redis's CLIENT LIST, so an operator sees which connections are asyncview's rooms. */
export const CLIENT_NAME = "asyncview-channel-layer";
/** How long a PUBLISH may wait for Redis's reply once sent, in ms; then it rejects (503 channel_layer_unavailable). */
export const DEFAULT_PUBLISH_TIMEOUT = 5_000;

export interface RedisChannelLayerOptions {
  /** Prefix of every Redis channel name (`<prefix><room>`). Default "asyncview:". */
  prefix?: string;
  /** First reconnect delay in ms, doubled after each failed attempt. Default 100. */
  reconnectMinDelay?: number;
  /** Upper bound of the reconnect delay in ms. Default 5,000. */
  reconnectMaxDelay?: number;
  /** Time one connection attempt may take, in ms. Default 5,000. */
  connectTimeout?: number;
  /** Time a publish may wait for Redis's reply, in ms (and `close()` for commands in flight). Default 5,000. */
  publishTimeout?: number;
  /** Where outages and recoveries are logged (one line each per outage) and subscribers that throw. Default: core's console logger. */
  logger?: Logger;
}

/** The layer `redisChannelLayer` returns: a ChannelLayer, plus a way to wait for the first connection. */
export interface RedisChannelLayer extends ChannelLayer {
  /** The Redis URL, with any password shown as "***" (it is in every error and log line). */
  readonly url: string;
  /**
   * Connects if nothing did yet, and resolves once both connections are up; rejects with ChannelLayerUnavailableError
   * when the first attempt failed (the layer keeps retrying in the background). Optional: the first publish or
   * subscribe connects and waits for that first attempt itself.
   */
  ready(): Promise<void>;
}

type Deliver = (message: SocketMessage) => void;

/** A room this process has members in; `subscribed` settles when Redis confirmed the SUBSCRIBE. */
interface Room {
  readonly name: string;
  readonly members: Set<Deliver>;
  subscribed: Promise<void>;
}

/**
 * Rooms over Redis pub/sub at `url` (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS). Text stays
 * text and binary stays binary across processes. While Redis is down, `publish` and joining a room reject with a 503
 * `channel_layer_unavailable` error naming the URL; rooms joined before stay registered, and once Redis is back
 * (reconnect with bounded back-off, one log line when it goes and one when it returns) they are subscribed again.
 */
export function redisChannelLayer(url: string, options: RedisChannelLayerOptions = {}): RedisChannelLayer {
  const shown = redactedUrl(url);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const minDelay = options.reconnectMinDelay ?? DEFAULT_RECONNECT_MIN_DELAY;
  const maxDelay = options.reconnectMaxDelay ?? DEFAULT_RECONNECT_MAX_DELAY;
  const logger = options.logger ?? consoleLogger;
  const publishTimeout = options.publishTimeout ?? DEFAULT_PUBLISH_TIMEOUT;
  const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  for (const [name, value] of Object.entries({ reconnectMinDelay: minDelay, reconnectMaxDelay: maxDelay, connectTimeout, publishTimeout })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`redisChannelLayer: ${name} must be a number of ms > 0, got ${value}`);
  }
  if (maxDelay < minDelay) throw new RangeError(`redisChannelLayer: reconnectMaxDelay (${maxDelay}) must be at least reconnectMinDelay (${minDelay})`);

  const publisher = createClient({
    url,
    name: CLIENT_NAME,
    // Nothing waits in a queue while Redis is down: a publish fails at once with the clear error below.
    disableOfflineQueue: true,
    socket: {
      connectTimeout,
      reconnectStrategy: (retries: number) => Math.min(minDelay * 2 ** retries, maxDelay),
    },
  });
  // The subscriber connection: node-redis re-sends SUBSCRIBE for every channel it holds after each reconnect.
  const subscriber = publisher.duplicate();
  const rooms = new Map<string, Room>(); // by Redis channel name
  // Channels whose last member left while Redis was down: node-redis would restore them at reconnect, so they are
  // unsubscribed again once it is back, unless a member joined meanwhile.
  const abandoned = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve(); // SUBSCRIBE/UNSUBSCRIBE, one at a time, in call order
  let closed = false;
  let outageSince: number | undefined;

  /** Runs `command` after every earlier subscriber command settled. */
  function serial<T>(command: () => Promise<T>): Promise<T> {
    const run = queue.then(command, command);
    queue = run.catch(() => {});
    return run;
  }

  function unavailable(action: string, cause: unknown): ChannelLayerUnavailableError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ChannelLayerUnavailableError(`channel layer unavailable: cannot ${action}: Redis at ${shown} is unreachable (${reason})`, cause);
  }

  function onError(error: Error): void {
    if (closed) return;
    if (publisher.isReady && subscriber.isReady) {
      logger.warn(`channel layer: Redis at ${shown} reported an error`, { error });
      return;
    }
    if (outageSince !== undefined) return; // logged once per outage, not per attempt
    outageSince = Date.now();
    logger.warn(
      `channel layer: Redis at ${shown} is unreachable (${error.message}); publishing and joining rooms fail with 503 ` +
        `channel_layer_unavailable until it is back; reconnecting every ${minDelay}..${maxDelay} ms`,
    );
  }

  function onReady(): void {
    if (closed || !publisher.isReady || !subscriber.isReady) return;
    if (outageSince !== undefined) {
      const seconds = ((Date.now() - outageSince) / 1000).toFixed(1);
      outageSince = undefined;
      logger.info(`channel layer: Redis at ${shown} is back after ${seconds} s; ${rooms.size} room(s) subscribed again`);
    }
    for (const channel of abandoned) void unsubscribeIfEmpty(channel);
  }

  function dispatch(bytes: Buffer, channelBytes: Buffer): void {
    const channel = channelBytes.toString("utf8");
    const room = rooms.get(channel);
    if (!room) return; // the last member left while this message was on its way
    const message = decode(bytes);
    if (message === undefined) {
      logger.warn(`channel layer: skipped a message on Redis channel ${JSON.stringify(channel)} that asyncview did not publish`);
      return;
    }
    for (const deliver of [...room.members]) {
      try {
        deliver(message);
      } catch (error) {
        logger.error(`channel layer: a subscriber of room ${JSON.stringify(room.name)} threw`, { error });
      }
    }
  }

  async function unsubscribeIfEmpty(channel: string): Promise<void> {
    await serial(async () => {
      if (rooms.has(channel) || closed) {
        abandoned.delete(channel);
        return;
      }
      if (!subscriber.isReady) {
        abandoned.add(channel);
        return;
      }
      try {
        await subscriber.unsubscribe(channel);
        abandoned.delete(channel);
      } catch {
        abandoned.add(channel); // Redis went away meanwhile: retried when it is back
      }
    });
  }

  for (const client of [publisher, subscriber]) {
    client.on("error", onError);
    client.on("ready", onReady);
  }
  // Both connections open on first use (ready, subscribe or publish), so a layer nothing uses (the --workers
  // supervisor's, say) never connects. The promise settles when each is up or has failed once: operations wait for
  // it, then go by the connections' state.
  let firstAttempt: Promise<unknown> | undefined;
  function connect(): Promise<unknown> {
    firstAttempt ??= Promise.all(
      [publisher, subscriber].map(
        (client) =>
          new Promise<void>((resolve) => {
            client.once("ready", resolve);
            client.once("error", () => resolve());
            // connect() settles only once connected, or rejects when close() ends the attempts: neither is needed here.
            client.connect().catch(() => {});
          }),
      ),
    );
    return firstAttempt;
  }

  function assertOpen(): void {
    if (closed) throw new Error(`the channel layer (Redis at ${shown}) is closed`);
  }

  return {
    url: shown,

    async ready() {
      assertOpen();
      await connect();
      if (!publisher.isReady || !subscriber.isReady) throw unavailable("connect", new Error("the first connection attempt failed"));
    },

    async subscribe(roomName, deliver) {
      assertOpen();
      await connect();
      const channel = prefix + roomName;
      let room = rooms.get(channel);
      if (!room) {
        if (!subscriber.isReady) throw unavailable(`join room ${JSON.stringify(roomName)}`, new Error("not connected"));
        const created: Room = { name: roomName, members: new Set(), subscribed: Promise.resolve() };
        created.subscribed = serial(() => subscriber.subscribe(channel, dispatch, true)).catch((error: unknown) => {
          if (rooms.get(channel) === created) rooms.delete(channel);
          throw unavailable(`join room ${JSON.stringify(roomName)}`, error);
        });
        rooms.set(channel, (room = created));
      }
      // Each subscription is its own entry, so the same function subscribed twice is delivered to twice.
      const entry: Deliver = (message) => deliver(message);
      room.members.add(entry);
      try {
        await room.subscribed;
      } catch (error) {
        room.members.delete(entry);
        throw error;
      }
      const joined = room;
      let left = false;
      return async () => {
        if (left) return;
        left = true;
        joined.members.delete(entry);
        if (joined.members.size > 0 || rooms.get(channel) !== joined) return;
        rooms.delete(channel);
        await unsubscribeIfEmpty(channel);
      };
    },

    async publish(roomName, message) {
      assertOpen();
      await connect();
      // node-redis times a command out only while it waits to be written; a Redis that stops answering (frozen,
      // or a network that drops packets) is caught here instead. The command itself settles later, unobserved.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const noReply = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no reply within ${publishTimeout} ms`)), publishTimeout);
      });
      const sent = publisher.publish(prefix + roomName, encode(message));
      sent.catch(() => {});
      try {
        await Promise.race([sent, noReply]);
      } catch (error) {
        throw unavailable(`publish to room ${JSON.stringify(roomName)}`, error);
      } finally {
        clearTimeout(timer);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      rooms.clear();
      abandoned.clear();
      // close() lets commands in flight finish (QUIT), for at most the publish timeout (Redis may have stopped
      // answering); a connection that is down, or does not finish in time, is dropped.
      await Promise.all(
        [publisher, subscriber].map(async (client) => {
          if (!client.isOpen) return; // never connected, or already given up
          let timer: ReturnType<typeof setTimeout> | undefined;
          try {
            if (client.isReady) {
              const late = new Promise<void>((_, reject) => {
                timer = setTimeout(() => reject(new Error("close timed out")), publishTimeout);
              });
              await Promise.race([client.close(), late]);
            } else client.destroy();
          } catch {
            if (client.isOpen) client.destroy();
          } finally {
            clearTimeout(timer);
          }
        }),
      );
    },
  };
}

/** `url` with any password replaced by "***"; throws a TypeError naming the problem for anything but redis(s)://. */
function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`redisChannelLayer: expected a URL such as redis://127.0.0.1:6379, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(`redisChannelLayer: expected a redis:// or rediss:// URL, got ${parsed.protocol}//...`);
  }
  if (parsed.password) parsed.password = "***";
  return parsed.href.replace(/\/$/, "");
}
