#!/usr/bin/env python3
"""Receive throughput, measured in one run against one real lhttpd: how many messages
per second a Python program gets through when a burst of N messages (64-byte bodies)
arrives on a channel it subscribed to, with

- ``lhttp sync``: ``lhttp.connect``, ``for msg in client``;
- ``lhttp asyncio``: ``lhttp.aio.connect``, ``async for msg in client``;
- ``websockets``: the pure-Python ``websockets`` package (asyncio) with a naive
  parser written like the original Go server's (split lines, split headers at ``:``),
  the baseline a new user might write by hand.

Each receiver reads every message's body, as a program would. The messages come from
a separate process that writes pre-built WebSocket frames, and the whole burst is
published (lhttpd acknowledged a marker sent after it; it runs with a queue deep
enough to hold the burst) before the receiver starts reading: what is measured is the
receiver, not the publisher or the server sharing the CPUs with it. The rate counts
the messages after the first tenth (the lhttp clients keep up to 10,000 already read
from the socket), over the time from that message to the last. The receivers take
turns, ``--rounds`` times, so that the machine's load hits them alike; the table
shows every round, the median and the best.

    python/bench/bench_recv.sh                      # builds, installs, runs
    .venv/bin/python python/bench/bench_recv.py --lhttpd target/release/lhttpd
"""

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import lhttp
import lhttp.aio

try:
    import websockets
    import websockets.asyncio.client
except ImportError:  # only the baseline needs it
    websockets = None

LISTENING = re.compile(r"lhttpd listening on (\S+):(\d+)")
PATIENCE = 120.0


# ---- the publisher (a separate process: --blast) ----


def frame(payload: bytes) -> bytes:
    """One masked client text frame (mask key 0: the payload reads as it is)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def blast(port: int, channel: str, count: int, size: int) -> None:
    """Opens a WebSocket by hand, says "ready", waits for "go" on stdin, then writes
    `count` publish messages (no id: no acks) in large writes, then one publish with
    an id; its ack means the server has taken every message before it. Says how
    long that took."""
    body = b"x" * size
    message = b"LHTTP/1.0 chat\r\npublish:" + channel.encode() + b"\r\n\r\n" + body
    frames = frame(message) * count
    marker = frame(b"LHTTP/1.0 chat\r\npublish:" + channel.encode() + b"-marker\r\nid:burst-done\r\n\r\n")
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("lhttpd closed the publisher's handshake")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"handshake refused: {answer.splitlines()[0]!r}")
    acked = threading.Event()

    def read() -> None:
        """Reads what the server sends (the greeting, pings, the marker's ack)."""
        seen = b""
        while not acked.is_set():
            chunk = sock.recv(65536)
            if not chunk:
                return
            seen = seen[-64:] + chunk
            if b"id:burst-done" in seen:
                acked.set()

    threading.Thread(target=read, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    view = memoryview(frames)
    for i in range(0, len(view), 1 << 20):
        sock.sendall(view[i : i + (1 << 20)])
    sock.sendall(marker)
    if not acked.wait(PATIENCE):
        raise SystemExit("no ack for the end of the burst")
    print(f"sent {time.perf_counter() - started:.6f}", flush=True)
    sys.stdin.readline()  # keep the connection until the receiver is done
    sock.close()


class Publisher:
    """The --blast process for one measurement."""

    def __init__(self, port: int, channel: str, count: int, size: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--blast", str(port), channel, str(count), str(size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the publisher did not start")
        self.seconds = 0.0

    def burst(self) -> None:
        """Has the whole burst published (queued for the receiver) before returning."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.seconds = float(self.proc.stdout.readline().split()[1])

    def finish(self) -> None:
        self.proc.stdin.write("done\n")
        self.proc.stdin.flush()
        self.proc.wait(PATIENCE)


# ---- the receivers ----


# Each receiver subscribes, has the burst published (`burst()`), then reads `count`
# messages; it returns the seconds from message count // 10 to the last.


def receive_sync(url: str, channel: str, burst, count: int) -> float:
    with lhttp.connect(url, timeout=PATIENCE) as client:
        client.subscribe(channel)
        burst()
        got = 0
        for msg in client:
            msg.body
            got += 1
            if got == count // 10:
                first = time.perf_counter()
            if got == count:
                return time.perf_counter() - first
    raise RuntimeError("the connection ended early")


async def receive_aio(url: str, channel: str, burst, count: int) -> float:
    async with lhttp.aio.connect(url, timeout=PATIENCE) as client:
        await client.subscribe(channel)
        burst()
        got = 0
        async for msg in client:
            msg.body
            got += 1
            if got == count // 10:
                first = time.perf_counter()
            if got == count:
                return time.perf_counter() - first
    raise RuntimeError("the connection ended early")


def parse_like_original(text: str):
    """The original server's approach: split lines, split headers at ':', a dict."""
    lines = text.split("\r\n")
    _version, command = lines[0].split(" ", 1)
    headers = {}
    i = 1
    while i < len(lines) and lines[i] != "":
        name, value = lines[i].split(":", 1)
        headers[name] = value
        i += 1
    body = "\r\n".join(lines[i + 1 :])
    return command, headers, body


async def receive_websockets(url: str, channel: str, burst, count: int) -> float:
    async with websockets.asyncio.client.connect(url, max_size=None) as ws:
        await ws.send(f"LHTTP/1.0 subscribe\r\nsubscribe:{channel}\r\nid:1\r\n\r\n")
        async for frame in ws:  # the greeting, then the ack
            if parse_like_original(frame)[0] == "ack":
                break
        burst()
        got = 0
        async for frame in ws:
            command, _headers, body = parse_like_original(frame)
            if command != "chat":
                continue
            got += 1
            if got == count // 10:
                first = time.perf_counter()
            if got == count:
                return time.perf_counter() - first
    raise RuntimeError("the connection ended early")


RECEIVERS = {
    "lhttp sync": receive_sync,
    "lhttp asyncio": lambda *a: asyncio.run(receive_aio(*a)),
    "websockets + naive parser": lambda *a: asyncio.run(receive_websockets(*a)),
}


# ---- the run ----


def start_lhttpd(binary: str, count: int) -> "tuple[subprocess.Popen, int]":
    proc = subprocess.Popen(
        # Queues deep enough for the whole burst: the receiver is measured, not the slow-consumer limit.
        [binary, "--listen", "127.0.0.1:0", "--max-queue", str(count + 1000), "--max-queue-bytes", str(1 << 30),
         "--idle-timeout", "600", "--log", "warn"],
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        match = LISTENING.search(line)
        if match:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, int(match.group(2))
    raise RuntimeError(f"lhttpd exited ({proc.wait()}) before listening")


def measure(name: str, port: int, channel: str, count: int, size: int) -> "tuple[float, float]":
    """(messages per second, the publisher's own rate) for one receiver."""
    publisher = Publisher(port, channel, count, size)
    seconds = RECEIVERS[name](f"ws://127.0.0.1:{port}/", channel, publisher.burst, count)
    publisher.finish()
    return (count - count // 10) / seconds, count / publisher.seconds


def default_lhttpd() -> str:
    if os.environ.get("LHTTPD_BIN"):
        return os.environ["LHTTPD_BIN"]
    return str(Path(__file__).resolve().parents[2] / "target" / "release" / "lhttpd")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--blast":
        port, channel, count, size = sys.argv[2:6]
        blast(int(port), channel, int(count), int(size))
        return 0
    parser = argparse.ArgumentParser(description="receive throughput: lhttp sync, lhttp asyncio, websockets")
    parser.add_argument("--messages", type=int, default=200_000, help="messages per measurement")
    parser.add_argument("--size", type=int, default=64, help="body bytes per message")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per receiver, taking turns")
    parser.add_argument("--lhttpd", default=default_lhttpd(), help="the server binary (a release build)")
    parser.add_argument("--only", action="append", help="run the receivers whose name holds this (repeatable)")
    args = parser.parse_args()

    names = [n for n in RECEIVERS if websockets is not None or not n.startswith("websockets")]
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    print(f"lhttp {lhttp.__version__}, Python {sys.version.split()[0]}", end="")
    print(f", websockets {websockets.__version__}" if websockets else ", websockets not installed (no baseline)")
    print(f"{args.messages:,} messages of {args.size} body bytes per measurement, {args.rounds} rounds, {args.lhttpd}")
    server, port = start_lhttpd(args.lhttpd, args.messages)
    rates = {name: [] for name in names}
    publishing = []
    try:
        for r in range(args.rounds):
            for i, name in enumerate(names):
                rate, sent = measure(name, port, f"bench-{r}-{i}", args.messages, args.size)
                rates[name].append(rate)
                publishing.append(sent)
    finally:
        server.terminate()
        server.wait(PATIENCE)
    width = max(len(n) for n in [*names, "receiver (msg/s)"])
    rounds = " ".join(f"{'round ' + str(r + 1):>9}" for r in range(args.rounds))
    print(f"{'receiver (msg/s)':<{width}} | {rounds} | {'median':>9} {'best':>9}")
    for name in names:
        cells = " ".join(f"{v:>9,.0f}" for v in rates[name])
        print(f"{name:<{width}} | {cells} | {statistics.median(rates[name]):>9,.0f} {max(rates[name]):>9,.0f}")
    print(f"(the burst was published at {statistics.median(publishing):,.0f} msg/s, median, before each receiver read it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
