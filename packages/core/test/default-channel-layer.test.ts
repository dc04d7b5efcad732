// The process's default channel layer: what an App created without `channelLayer` gets. Without one installed, a new
// in-process layer each time; once `setDefaultChannelLayer` installed one (the CLI's --channel-layer), that one.

import { afterEach, expect, it } from "vitest";
import { type ChannelLayer, defaultChannelLayer, memoryChannelLayer, setDefaultChannelLayer } from "../src/index.ts";

afterEach(() => setDefaultChannelLayer(undefined));

it("is a new in-process layer each time until one is installed", async () => {
  const first = defaultChannelLayer();
  const second = defaultChannelLayer();
  expect(first).not.toBe(second);
  const got: unknown[] = [];
  await first.subscribe("room", (message) => got.push(message));
  await second.publish("room", "not shared");
  await first.publish("room", "shared");
  expect(got).toEqual(["shared"]);
});

it("is the installed layer once setDefaultChannelLayer ran, and a new in-process one again after it is cleared", () => {
  const installed: ChannelLayer = memoryChannelLayer();
  setDefaultChannelLayer(installed);
  expect(defaultChannelLayer()).toBe(installed);
  expect(defaultChannelLayer()).toBe(installed);
  setDefaultChannelLayer(undefined);
  expect(defaultChannelLayer()).not.toBe(installed);
});
