#!/usr/bin/env python3
"""Prints an HS256 JWT for ffi/tests/tokens.c, as an application's backend would sign it:
sign_token.py SECRET SUB EXP_IN_SECONDS [CHANNEL] (EXP_IN 0: no exp)."""
import base64
import hashlib
import hmac
import json
import sys
import time


def part(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


secret, sub, exp_in = sys.argv[1], sys.argv[2], int(sys.argv[3])
claims = {"sub": sub}
if exp_in:
    claims["exp"] = int(time.time()) + exp_in
if len(sys.argv) > 4:
    claims["channel"] = sys.argv[4]
signed = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
sig = base64.urlsafe_b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()).rstrip(b"=")
print(f"{signed}.{sig.decode()}")
