#!/usr/bin/env python3
"""Fails when a C++ source or an e2e expectation is not named in the CMakeLists.txt that owns it.

Sources are listed by hand in the CMakeLists.txt of their folder, or of the nearest folder above
that has one (CONTRIBUTING.md, "Layout"). A file nobody lists is never compiled, and a test in it
never runs, without a word from the build: this check is that word. Run from anywhere; it reads
the files git knows.
"""
import os
import re
import subprocess
import sys

try:
    root = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True,
                                   stderr=subprocess.DEVNULL).strip()
except (OSError, subprocess.CalledProcessError):
    print("not a git checkout: nothing to check", file=sys.stderr)
    sys.exit(77)  # CTest's SKIP_RETURN_CODE
os.chdir(root)
files = subprocess.check_output(
    ["git", "ls-files", "*.cpp", "*.cpp.in", "tests/e2e/scenarios/*.expect.json",
     "tests/e2e/self_checks/*.json"], text=True).split()

problems = []
for path in files:
    if path.endswith(".expect.json"):
        # An expectation belongs to its scenario, which must be listed in turn.
        scenario = path[: -len(".expect.json")] + ".cpp"
        if not os.path.exists(scenario):
            problems.append(f"{path}: no scenario {scenario} beside it")
        continue
    folder = os.path.dirname(path)
    while not os.path.exists(os.path.join(folder, "CMakeLists.txt")):
        folder = os.path.dirname(folder)
    owner = os.path.join(folder, "CMakeLists.txt")
    name = os.path.relpath(path, folder or ".")
    with open(owner) as f:
        text = f.read()
    if not re.search(r'(^|[\s("])' + re.escape(name) + r'($|[\s)"|])', text, re.M):
        problems.append(f"{path}: not listed in {owner} (add {name} to the target it belongs to)")

for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
