#!/usr/bin/python3
"""A python-socketio server set up the way InvokeAI sets up its socket (invokeai/app/api/sockets.py),
for the client's interop tests: AsyncServer on aiohttp, path ws/socket.io, rooms user:system and admin
joined on connect, subscribe_queue joining the queue room, auth checked in the connect handler.

Control: JSON lines on stdin ({"cmd":"emit","event":..,"payload":..,"room":..} | {"cmd":"stats"} | {"cmd":"stop"}).
Reports: JSON lines on stdout ({"event":"listening","port":..}, "connect", "subscribe_queue", "disconnect", "emitted").
Run with Debian's /usr/bin/python3 (python3-socketio, python3-aiohttp).
"""
import argparse
import asyncio
import json
import sys

import socketio
from aiohttp import web


def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


async def maybe_await(value):
    # enter_room is synchronous in python-socketio 5.7 and a coroutine in later releases.
    if asyncio.iscoroutine(value):
        await value


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ping-interval", type=float, default=25)
    parser.add_argument("--ping-timeout", type=float, default=20)
    parser.add_argument("--token", default=None, help="require this token (multi-user mode)")
    args = parser.parse_args()

    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins="*",
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
    )
    app = web.Application()
    sio.attach(app, socketio_path="ws/socket.io")

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is None:
            header = environ.get("HTTP_AUTHORIZATION", "")
            token = header[7:] if header.startswith("Bearer ") else None
        report(event="connect", sid=sid, has_token=token is not None)
        if args.token is not None and token != args.token:
            return False  # CONNECT_ERROR "Connection rejected by server", as InvokeAI in multi-user mode
        await maybe_await(sio.enter_room(sid, "user:system"))
        await maybe_await(sio.enter_room(sid, "admin"))
        return True

    @sio.on("subscribe_queue")
    async def subscribe_queue(sid, data):
        queue_id = data.get("queue_id") if isinstance(data, dict) else None
        if queue_id:
            await maybe_await(sio.enter_room(sid, queue_id))
        report(event="subscribe_queue", sid=sid, queue_id=queue_id)

    @sio.event
    async def disconnect(sid):
        report(event="disconnect", sid=sid)

    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    report(event="listening", port=port)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command.get("cmd") == "emit":
            await sio.emit(command["event"], command.get("payload"), room=command.get("room"))
            report(event="emitted", id=command.get("id"))
        elif command.get("cmd") == "stats":
            report(event="stats", id=command.get("id"), clients=len(sio.eio.sockets))
        elif command.get("cmd") == "stop":
            break
    await runner.cleanup()
    report(event="stopped")


if __name__ == "__main__":
    asyncio.run(main())
