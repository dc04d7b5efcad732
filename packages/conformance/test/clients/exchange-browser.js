// The WebSocket exchange with the demo app, run in headless Chromium's page with the browser's own WebSocket:
// the same steps as exchange.py. websocket-clients.test.ts evaluates this expression with (base, room).

(async (base, room) => {
  const open = (url) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      const queue = [];
      const waiting = [];
      ws.onmessage = (event) => {
        const w = waiting.shift();
        if (w) w(event.data);
        else queue.push(event.data);
      };
      ws.onopen = () => resolve({ ws, recv: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))) });
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  const close = (c) =>
    new Promise((resolve) => {
      c.ws.onclose = () => resolve();
      c.ws.close(1000);
    });
  const json = async (c) => JSON.parse(await c.recv());
  const echo = await open(`${base}/ws/echo`);
  echo.ws.send("hello from chromium ✓");
  const text = await echo.recv();
  echo.ws.send(new Uint8Array([0, 1, 255]));
  const bin = await echo.recv();
  const binary = typeof bin === "string" ? `text: ${bin}` : [...new Uint8Array(bin)];
  await close(echo);
  const a = await open(`${base}/ws/chat/${room}`);
  const aJoined = await json(a);
  const b = await open(`${base}/ws/chat/${room}`);
  const bJoined = await json(b);
  const aSawB = await json(a);
  a.ws.send("hi all");
  const aGot = await json(a);
  const bGot = await json(b);
  await close(b);
  const aSawBLeave = await json(a);
  await close(a);
  return { text, binary, chat: { aJoined, bJoined, aSawB, aGot, bGot, aSawBLeave } };
})
