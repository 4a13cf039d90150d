#!/usr/bin/env python3
"""Turns spec/vectors/*.json into a C table (vectors_data.h) for ffi/tests/vectors.c.

Usage: gen_vectors.py SPEC_VECTORS_DIR > vectors_data.h
Every vector of every file becomes one C struct; nothing is skipped, except
positions.json: liblhttp has no position API (core and the wasm build run it). Byte strings
are written as C literals with explicit lengths, so NUL and non-UTF-8 bytes survive.
"""
import json
import os
import sys

SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.:/,;!#$%&'()*+<=>@[]^`{|}~")


def lit(data: bytes) -> str:
    """A C string literal for `data` plus its length, as a `vb` initializer."""
    out = "".join(chr(b) if b in SAFE else "\\%03o" % b for b in data)
    return '{"%s", %d}' % (out, len(data))


def get_bytes(v: dict, key: str, default=None):
    if key in v:
        return v[key].encode("utf-8")
    if key + "_hex" in v:
        return bytes.fromhex(v[key + "_hex"])
    return default


class Emitter:
    def __init__(self):
        self.lines = []
        self.n = 0

    def array(self, ctype: str, items: list) -> tuple:
        """Emits a named array; returns (name or NULL, count)."""
        if not items:
            return ("NULL", 0)
        self.n += 1
        name = "a%d" % self.n
        self.lines.append("static const %s %s[] = {%s};" % (ctype, name, ", ".join(items)))
        return (name, len(items))

    def headers(self, pairs) -> tuple:
        return self.array("vh", ["{%s, %s}" % (lit(n.encode()), lit(val.encode())) for n, val in pairs])


def cstr(s):
    return "NULL" if s is None else json.dumps(s)


def main():
    root = sys.argv[1]
    e = Emitter()
    load = lambda f: json.load(open(os.path.join(root, f), encoding="utf-8"))["vectors"]

    parse = []
    for f in ("parse_valid.json", "parse_invalid.json"):
        for v in load(f):
            h = e.headers(v.get("headers", []))
            lookups = e.array("vl", [
                "{%s, %s, %d}" % (lit(n.encode()), lit((val or "").encode()), val is not None)
                for n, val in v.get("lookup", [])])
            parse.append("{%s, %s, %d, %s, %s, %s, %d, %s, %s, %d}" % (
                cstr(v["id"]), lit(get_bytes(v, "input")), v.get("max_headers", 32), cstr(v.get("error")),
                lit(v.get("command", "").encode()), h[0], h[1], lit(get_bytes(v, "body", b"")), lookups[0], lookups[1]))

    multi = []
    for v in load("multipart.json"):
        parts = []
        for p in v.get("parts", []):
            h = e.headers(p["headers"])
            parts.append("{%d, %d, %d, %s, %d, %s}" % (
                p["start"], p["len"], p["body_start"], h[0], h[1], lit(get_bytes(p, "body", b""))))
        pa = e.array("vpart", parts)
        multi.append("{%s, %s, %d, %d, %d, %s, %s, %d}" % (
            cstr(v["id"]), lit(get_bytes(v, "input")), v.get("max_headers", 32), v.get("max_parts", 32),
            v.get("max_part_headers", 32), cstr(v.get("error")), pa[0], pa[1]))

    enc = []
    for v in load("encode.json"):
        h = e.headers(v.get("headers", []))
        parts = []
        for p in v.get("parts", []) or []:
            ph = e.headers(p["headers"])
            parts.append("{%s, %d, %s}" % (ph[0], ph[1], lit(get_bytes(p, "body", b""))))
        pa = e.array("vpfields", parts)
        enc.append("{%s, %s, %s, %d, %s, %d, %s, %d, %d, %s, %s}" % (
            cstr(v["id"]), lit(v["command"].encode()), h[0], h[1], lit(get_bytes(v, "body", b"")),
            "parts" in v, pa[0], pa[1], v.get("buffer_len", -1), cstr(v.get("error")),
            lit(get_bytes(v, "output", b""))))

    chan = []
    for v in load("channels.json"):
        lists = [e.array("vb", [lit(c.encode()) for c in v.get(k, [])]) for k in ("subscribe", "publish", "unsubscribe")]
        if "upstream_error" in v:
            kind, method, url = 2, "", ""
        elif v.get("upstream") is None:
            kind, method, url = 0, "", ""
        else:
            kind, method, url = 1, v["upstream"]["method"], v["upstream"]["url"]
        chan.append("{%s, %s, {%s}, {%s}, %d, %s, %s, %s}" % (
            cstr(v["id"]), lit(v["input"].encode()), ", ".join(l[0] for l in lists),
            ", ".join(str(l[1]) for l in lists), kind, lit(method.encode()), lit(url.encode()),
            cstr(v.get("upstream_error"))))

    lists = []
    for v in load("channel_lists.json"):
        names = e.array("vb", [lit(c.encode()) for c in v["channels"]])
        lists.append("{%s, %s, %d, %s, %s}" % (
            cstr(v["id"]), names[0], names[1], cstr(v.get("error")), lit(get_bytes(v, "output", b""))))

    kinds = {None: 0, "connected": 1, "ack": 2, "error": 3}
    number = lambda n: -1 if n is None else n
    replies = []
    for v in load("replies.json"):
        want = v["reply"] or {}
        kind = kinds[want.get("kind")]
        # Text fields by kind: connected (client_id), ack (id), error (code, detail, command, id).
        texts = [want.get(k) for k in ("client_id", "id", "code", "detail", "command", "known")]
        numbers = [number(want.get(k)) for k in ("max_channels", "max_subscriptions", "max_message_size", "deliveries", "max_headers")]
        replies.append("{%s, %s, %d, {%s}, {%s}}" % (
            cstr(v["id"]), lit(get_bytes(v, "input")), kind, ", ".join(cstr(t) for t in texts),
            ", ".join("%dLL" % n for n in numbers)))

    print("/* GENERATED by ffi/tests/gen_vectors.py from spec/vectors; do not edit. */")
    print("\n".join(e.lines))
    for ctype, name, rows in (("vparse", "PARSE", parse), ("vmulti", "MULTI", multi), ("venc", "ENC", enc),
                              ("vchan", "CHAN", chan), ("vlist", "LIST", lists), ("vreply", "REPLY", replies)):
        print("static const %s %s[] = {\n  %s\n};" % (ctype, name, ",\n  ".join(rows)))
        print("#define N_%s %d" % (name, len(rows)))


if __name__ == "__main__":
    main()
