"""Every Python example in python/README.md runs as it is, pasted into a file, against
a real lhttpd (the address in the examples is replaced by the test server's)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
PATIENCE = 30.0


def blocks():
    return BLOCK.findall(README.read_text())


def test_readme_has_the_examples():
    text = "\n".join(blocks())
    for needle in ("lhttp.parse(", "lhttp.connect(", "asyncio.run(main())", "lhttp.publish("):
        assert needle in text


@pytest.mark.parametrize("index", range(len(blocks())))
def test_readme_example_runs(server, tmp_path, index):
    code = blocks()[index]
    code = code.replace("ws://127.0.0.1:8081/", server.url).replace("http://127.0.0.1:8081", server.http)
    script = tmp_path / f"example_{index}.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=PATIENCE)
    assert out.returncode == 0, f"{code}\n---\n{out.stderr}"
    if "client.publish(" in code:
        # The client examples print the delivery count, then their own message.
        assert out.stdout.splitlines()[:2] == ["1", "chat hello"], out.stdout
