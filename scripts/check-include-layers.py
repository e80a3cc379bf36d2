#!/usr/bin/env python3
"""Fails when a folder of libconstellation/src includes a header of a folder at its level or above.

The library's folders are layers (docs/architecture.md, "Code layout"): a file may include headers
of its own folder and of the folders below it, never above, so that each layer can be read, tested
and changed knowing only what is under it. The order, top first, is LAYERS below; folders on one
line are side by side and do not include each other. A new folder must be placed here before it
is used.

Usage: check-include-layers.py [SOURCE_DIR]   (default: libconstellation/src beside this script)
"""
import os
import re
import sys

# Top first. cluster/ is daemon code (the constellation_cluster library): nothing a user's program
# links may include it, hence its place above the process's own entry point.
LAYERS = [
    ["cluster"],   # daemons: authenticated links, binary caches, logs, endpoints
    ["startup"],   # init(): puts a process together from the layers below
    ["channel"],   # the channel transport
    ["agent"],     # the node agent's process table and its connections
    ["runtime"],   # the process's state, spawn, pids, supervision, counters
    ["process"],   # monitors, launcher, fork server, limits
    ["wire"],      # codecs: frames, handshake, messages
    ["identity"],  # code identities and the entry registry
    ["crypto", "report"],  # digests and HMAC (OpenSSL); process events and their forms
    ["posix"],  # unique_fd and other system helpers, beside nothing of the project
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "libconstellation", "src")
    level = {folder: depth for depth, line in enumerate(LAYERS) for folder in line}
    problems = []
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        if folder not in level:
            problems.append(f"{path}: a folder check-include-layers.py does not know; "
                            "add it to LAYERS at its place")
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".cpp", ".hpp")):
                continue
            file = os.path.join(path, name)
            with open(file, encoding="utf-8") as f:
                for number, text in enumerate(f, 1):
                    match = INCLUDE.match(text)
                    if not match or match.group(1) == folder:
                        continue
                    target = match.group(1)
                    if target not in level:
                        continue  # not a folder of the library (e.g. a generated header)
                    if level[target] <= level[folder]:
                        where = "beside" if level[target] == level[folder] else "above"
                        problems.append(
                            f"{os.path.relpath(file, src)}:{number}: {folder}/ includes "
                            f"{target}/, which is {where} it: move the shared part down a layer "
                            "(see LAYERS in scripts/check-include-layers.py)")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"include layers: {len(level)} folders, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
