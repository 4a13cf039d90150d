"""The receive benchmark (python/bench/bench_recv.py) still runs: a tiny burst through
each receiver against the test lhttpd. It checks that it works, never how fast."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_recv.py"


def test_receive_benchmark_runs(lhttpd_bin):
    out = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "2000", "--rounds", "1", "--lhttpd", lhttpd_bin],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "lhttp sync" in out.stdout and "lhttp asyncio" in out.stdout
