#!/usr/bin/env python3
"""The README code blocks, as the tests run them: so that a snippet that drifts from the code fails CI.

Every fenced code block of the READMEs listed in READMES carries a name, in an HTML comment on
the line just before its fence (invisible on GitHub):

    <!-- snippet: asyncio.py -->
    ```python
    ...
    ```

Commands:
  snippets.py check                 every block of every README has a unique name
  snippets.py get README NAME [--addr HOST:PORT]
                                    print the block's text, as written; with --addr, the demo
                                    address 127.0.0.1:8081 is replaced by a live server's
  snippets.py write README NAME PATH [--addr HOST:PORT]
                                    the same, into a file (the folders are made)
  snippets.py unused LOG            fail if a named block was never fetched in this run

`get` and `write` append "README NAME" to the file named by $LHTTP_SNIPPET_LOG when it is set;
scripts/test sets it, and ends with `unused`, so a block no test runs fails the run.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = [
    "README.md",
    "python/README.md",
    "bindings/node/README.md",
    "js-sdk/README.md",
    "ffi/README.md",
    "client/README.md",
]
DEMO_ADDR = "127.0.0.1:8081"
MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


class SnippetError(Exception):
    pass


def blocks(readme):
    """(name, info string, text, line) of each fenced block; name is None when unmarked."""
    lines = (ROOT / readme).read_text(encoding="utf-8").split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.groups()
        start = i
        prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(prev.strip())
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence) and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        if i == len(lines):
            raise SnippetError(f"{readme}:{start + 1}: the code block never ends")
        i += 1
        out.append((marker.group(1) if marker else None, info.strip(), "\n".join(body) + "\n", start + 1))
    return out


def check():
    problems = []
    total = 0
    for readme in READMES:
        seen = {}
        for name, info, _, line in blocks(readme):
            total += 1
            if name is None:
                problems.append(f"{readme}:{line}: a ```{info} block without a <!-- snippet: NAME --> line before it")
            elif name in seen:
                problems.append(f"{readme}:{line}: snippet {name} is also at line {seen[name]}")
            else:
                seen[name] = line
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        raise SnippetError(f"{len(problems)} README code block(s) cannot be run by name")
    print(f"snippets: {total} named code blocks in {len(READMES)} READMEs")


def get(readme, name, addr=None):
    if readme not in READMES:
        raise SnippetError(f"{readme} is not one of the READMEs whose blocks are run: {', '.join(READMES)}")
    found = [text for n, _, text, _ in blocks(readme) if n == name]
    if not found:
        raise SnippetError(f"{readme} has no snippet named {name}")
    log = os.environ.get("LHTTP_SNIPPET_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{readme} {name}\n")
    text = found[0]
    return text.replace(DEMO_ADDR, addr) if addr else text


def unused(log):
    fetched = set()
    if Path(log).exists():
        fetched = {tuple(line.split(" ", 1)) for line in Path(log).read_text(encoding="utf-8").split("\n") if line}
    missing = [f"{r} {n}" for r in READMES for n, _, _, _ in blocks(r) if n and (r, n) not in fetched]
    if missing:
        for m in missing:
            print(f"not run by any test: {m}", file=sys.stderr)
        raise SnippetError(f"{len(missing)} README snippet(s) were not run")
    print(f"snippets: every named README block was run ({len(fetched)})")


def main(argv):
    addr = None
    if "--addr" in argv:
        k = argv.index("--addr")
        addr = argv[k + 1]
        del argv[k : k + 2]
    if argv[:1] == ["check"] and len(argv) == 1:
        check()
    elif argv[:1] == ["get"] and len(argv) == 3:
        sys.stdout.write(get(argv[1], argv[2], addr))
    elif argv[:1] == ["write"] and len(argv) == 4:
        path = Path(argv[3])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(get(argv[1], argv[2], addr), encoding="utf-8")
    elif argv[:1] == ["unused"] and len(argv) == 2:
        unused(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SnippetError as e:
        print(f"snippets: {e}", file=sys.stderr)
        sys.exit(1)
