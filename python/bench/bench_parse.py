#!/usr/bin/env python3
"""Parse throughput: ``lhttp.parse`` (the Rust core through the binding) against a
pure-Python parser written like the original Go server's (split the text into lines,
split each header at ``:``, a dict of strings, no validation), measured in the same run.

    .venv/bin/python python/bench/bench_parse.py [--seconds 0.5]

For each message it prints the time per parse of both, and the ratio (how many times
faster ``lhttp.parse`` is). "parse" is parsing alone; "parse+read" also reads the
command, one header and the body of the result, since ``lhttp.Message`` makes the
Python objects when they are read.
"""

import argparse
import sys
import timeit

import lhttp


def parse_like_original(data: bytes):
    """The original server's approach: split lines, split headers at ':', a dict."""
    lines = data.decode("utf-8").split("\r\n")
    _version, command = lines[0].split(" ", 1)
    headers = {}
    i = 1
    while i < len(lines) and lines[i] != "":
        name, value = lines[i].split(":", 1)
        headers[name] = value
        i += 1
    body = "\r\n".join(lines[i + 1 :])
    return command, headers, body


def read_original(data: bytes):
    command, headers, body = parse_like_original(data)
    return command, headers.get("publish"), body


def read_lhttp(data: bytes):
    msg = lhttp.parse(data)
    return msg.command, msg.header("publish"), msg.body


def messages():
    """Representative messages: the original chat line, a message with many headers,
    1 KiB and 64 KiB bodies."""
    many = [(f"x-header-{i}", f"value number {i}") for i in range(16)] + [("publish", "room")]
    return [
        ("chat (original)", b"LHTTP/1.0 chat\r\nsubscribe:chatroom\r\npublish:chatroom\r\n\r\nhello"),
        ("17 headers", lhttp.Message("chat", many, b"hello").encode()),
        ("1 KiB body", lhttp.Message("chat", [("publish", "room")], b"x" * 1024).encode()),
        ("64 KiB body", lhttp.Message("chat", [("publish", "room")], b"x" * 65536).encode()),
    ]


def per_call(fns, data, seconds, repeats=5):
    """Seconds per call of each function: the best of `repeats` rounds of about
    `seconds` each, the functions taking turns so that load on the machine hits both."""
    timers = [timeit.Timer(lambda fn=fn: fn(data)) for fn in fns]
    numbers = [max(1, int(t.autorange()[0] * seconds / 0.2)) for t in timers]
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, (timer, number) in enumerate(zip(timers, numbers)):
            best[i] = min(best[i], timer.timeit(number) / number)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description="lhttp.parse vs a pure-Python parser")
    parser.add_argument("--seconds", type=float, default=0.3, help="approximate time per repeat")
    args = parser.parse_args()

    print(f"lhttp {lhttp.__version__}, Python {sys.version.split()[0]}")
    print(f"{'message':<18} {'bytes':>6} | {'what':<10} {'pure Python':>12} {'lhttp.parse':>12} {'ratio':>7}")
    for name, data in messages():
        # Both parsers read the same command, header and body.
        command, publish, body = read_original(data)
        assert read_lhttp(data) == (command, publish, body.encode())
        for what, original, ours in (
            ("parse", parse_like_original, lhttp.parse),
            ("parse+read", read_original, read_lhttp),
        ):
            t_py, t_rs = per_call([original, ours], data, args.seconds)
            print(
                f"{name:<18} {len(data):>6} | {what:<10} {t_py * 1e6:>9.2f} us {t_rs * 1e6:>9.2f} us"
                f" {t_py / t_rs:>6.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
