#!/usr/bin/env python3
"""Checks cmf and chaikin_osc against Tulip Indicators' test vectors (Achelis' book values and
bukosabino/ta's CMF), which live in ../shared/fixtures and may not be copied into the project
(LGPL data): a local check, not a CI test.

    python3 benches/check_against_tulip.py [path/to/whalewatch]
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TULIP = ROOT.parent / "shared/fixtures/indicators/tulipindicators"
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")), "release", "whalewatch")


def vectors(name, arguments):
    """(inputs, expected) of every case `name arguments` in Tulip's test files."""
    for path in sorted(TULIP.glob("*.txt")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.split() == [name, *arguments]:
                arrays = []
                for following in lines[i + 1:]:
                    if following.startswith("{"):
                        arrays.append([float(x) for x in following.strip("{}").split(",")])
                    elif not following.startswith("#"):
                        break
                yield path.name, arrays[:4], arrays[4]


def run(call, inputs):
    rows = ", ".join(f"({i}, {h}, {l}, {c}, {v})" for i, (h, l, c, v) in enumerate(zip(*inputs)))
    sql = (f"CREATE VIEW b (g, high, low, close, volume) AS VALUES {rows}; "
           f"SELECT {call} OVER (ORDER BY g) AS x FROM b ORDER BY g")
    out = subprocess.run([BINARY, "sql", "--format", "csv", sql], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return [float(x) if x.strip('"') else None for x in out.splitlines()[1:]]


failures = 0
for name, arguments, call, decimals in [
    ("cmf", ["21"], "cmf(high, low, close, volume, 21)", 4),
    ("adosc", ["3", "10"], "chaikin_osc(high, low, close, volume, 3, 10)", 3),
    ("adosc", ["2", "5"], "chaikin_osc(high, low, close, volume, 2, 5)", 3),
]:
    for file, inputs, expected in vectors(name, arguments):
        ours = [x for x in run(call, inputs) if x is not None]
        worst = max(abs(a - b) for a, b in zip(ours, expected))
        ok = len(ours) == len(expected) and worst <= 0.5 * 10 ** -decimals + 1e-9
        failures += not ok
        print(f"{name} {' '.join(arguments)} ({file}): {len(ours)} values, "
              f"largest difference {worst:.2e}: {'ok' if ok else 'MISMATCH'}")
sys.exit(1 if failures else 0)
