# The WebSocket exchange with the demo app, by Python's `websockets` library (Debian's python3-websockets):
# `python3 exchange.py ws://HOST:PORT ROOM` prints one JSON object of what it received, for websocket-clients.test.ts.

import asyncio
import json
import sys

import websockets


async def main(base: str, room: str) -> None:
    out = {}
    async with websockets.connect(base + "/ws/echo") as ws:
        await ws.send("hello from python ✓")
        out["text"] = await ws.recv()
        await ws.send(b"\x00\x01\xff")
        echoed = await ws.recv()
        out["binary"] = list(echoed) if isinstance(echoed, bytes) else "text: " + echoed
    async with websockets.connect(f"{base}/ws/chat/{room}") as a:
        a_joined = json.loads(await a.recv())
        async with websockets.connect(f"{base}/ws/chat/{room}") as b:
            b_joined = json.loads(await b.recv())
            a_saw_b = json.loads(await a.recv())
            await a.send("hi all")
            a_got = json.loads(await a.recv())
            b_got = json.loads(await b.recv())
        a_saw_b_leave = json.loads(await a.recv())
    out["chat"] = {
        "aJoined": a_joined,
        "bJoined": b_joined,
        "aSawB": a_saw_b,
        "aGot": a_got,
        "bGot": b_got,
        "aSawBLeave": a_saw_b_leave,
    }
    print(json.dumps(out))


asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 20))
