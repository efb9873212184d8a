#!/usr/bin/env python3
"""Times the A/D line, OBV and MFI(14) over every symbol's 1-minute bars in whalewatch (its window
functions, benches/money_flow.sql) against DuckDB (the same indicators as window SQL,
benches/money_flow_duckdb.sql), on the same Parquet, 2 threads each, interleaved, in one run;
then TA-Lib computing the same three indicators on arrays already in memory, as the floor.

    python3 benches/generate_minute_bars.py /tmp/whalewatch-minute-lake
    cargo build --release
    python3 benches/money_flow_vs_duckdb.py /tmp/whalewatch-minute-lake [--runs 5]

whalewatch is timed as it reports the query (planning, listing and execution) and as a whole
process; its peak memory is the process's maximum resident set. DuckDB runs in this process with a
fresh connection per run. Both engines' sums are compared before anything is timed. TA-Lib needs
`pip install ta-lib numpy pyarrow`; without it that line is skipped.
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.environ.get("WHALEWATCH_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "whalewatch")
QUERY = os.path.join(HERE, "money_flow.sql")
DUCKDB_SQL = open(os.path.join(HERE, "money_flow_duckdb.sql")).read()


def run_duckdb(lake):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.execute(f"CREATE VIEW bars AS SELECT * FROM read_parquet('{lake}/bars/*/*.parquet', "
                "hive_partitioning = true, hive_types = {'date': DATE})")
    row = con.execute(DUCKDB_SQL).fetchone()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, row


def run_whalewatch(lake):
    """Wall time, reported query time, the result row, and the peak resident set in MiB (measured
    by GNU time: a forked child's own ru_maxrss would include this process's DuckDB memory)."""
    result = os.path.join(tempfile.gettempdir(), f"whalewatch-money-flow-{os.getpid()}.csv")
    peak_file = result + ".rss"
    measure = ["/usr/bin/time", "-f", "%M", "-o", peak_file] if os.path.exists("/usr/bin/time") else []
    started = time.perf_counter()
    out = subprocess.run([*measure, BINARY, "--lake", lake, "--threads", "2", "run", QUERY, "--format", "csv",
                          "--output", result], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    peak = None
    if measure:
        with open(peak_file) as f:
            peak = int(f.read().split()[-1]) / 1024
        os.remove(peak_file)
    match = re.search(r"(\d+) rows? in ([0-9.]+) s", out.stderr)
    assert match, out.stderr
    with open(result) as f:
        values = f.read().splitlines()[1]
    os.remove(result)
    return wall, float(match.group(2)), [float(x) for x in values.split(",")], peak


def talib_floor(lake):
    """TA-Lib's AD, OBV and MFI over every symbol, on arrays already in memory: the compute floor."""
    try:
        import numpy as np
        import pyarrow.compute as pc
        import pyarrow.dataset as ds
        import talib
    except ImportError as missing:
        return f"skipped ({missing})"
    table = ds.dataset(f"{lake}/bars", format="parquet", partitioning="hive").to_table(
        columns=["symbol", "ts", "high", "low", "close", "volume"])
    table = table.sort_by([("symbol", "ascending"), ("ts", "ascending")])
    high, low, close, volume = (table[c].to_numpy() for c in ("high", "low", "close", "volume"))
    counts = pc.value_counts(table["symbol"]).field("counts").to_numpy()
    bounds = np.concatenate([[0], np.cumsum(counts)])
    times = []
    for _ in range(3):
        started = time.perf_counter()
        for a, b in zip(bounds[:-1], bounds[1:]):
            talib.AD(high[a:b], low[a:b], close[a:b], volume[a:b])
            talib.OBV(close[a:b], volume[a:b])
            talib.MFI(high[a:b], low[a:b], close[a:b], volume[a:b], timeperiod=14)
        times.append(time.perf_counter() - started)
    rows = len(close)
    best = statistics.median(times)
    return f"median {best:.3f} s, {rows / best / 1e6:.0f} M rows/s (1 thread, compute only, {len(counts)} symbols)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lake")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lake = os.path.abspath(args.lake)

    # Both engines must agree before they are timed.
    _, duck = run_duckdb(lake)
    _, _, ours, _ = run_whalewatch(lake)
    assert int(ours[0]) == duck[0] and int(ours[4]) == duck[4], (ours, duck)
    for name, a, b in zip(["ad", "obv", "mfi"], ours[1:4], duck[1:4]):
        assert abs(a - b) <= 1e-9 * abs(b), (name, a, b)
    rows = duck[0]
    print(f"{rows:,} bars; both engines' sums of A/D, OBV and MFI agree to 1e-9 ({duck[4]:,} MFI values)")

    duck_times, query, wall, peaks = [], [], [], []
    for _ in range(args.runs):  # interleaved, so that machine noise hits both alike
        elapsed, _ = run_duckdb(lake)
        duck_times.append(elapsed)
        w, q, _, peak = run_whalewatch(lake)
        wall.append(w)
        query.append(q)
        peaks.append(peak or 0)
    whalewatch_peak = max(peaks)
    duckdb_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = statistics.median
    print(f"runs: {args.runs}, 2 threads each, lake {lake}")
    print(f"duckdb {duckdb.__version__} (in-process):       median {med(duck_times):.3f} s  "
          f"(min {min(duck_times):.3f}, max {max(duck_times):.3f})  {rows / med(duck_times) / 1e6:.1f} M rows/s")
    print(f"whalewatch query (as reported):     median {med(query):.3f} s  "
          f"(min {min(query):.3f}, max {max(query):.3f})  {rows / med(query) / 1e6:.1f} M rows/s")
    print(f"whalewatch process (with start-up): median {med(wall):.3f} s  (min {min(wall):.3f}, max {max(wall):.3f})")
    print(f"ratio duckdb / whalewatch query: {med(duck_times) / med(query):.2f}x  (> 1 means whalewatch is faster)")
    print(f"peak resident memory: whalewatch {whalewatch_peak:,.0f} MiB, duckdb (this process) {duckdb_peak:,.0f} MiB")
    print(f"TA-Lib {talib_floor(lake)}")


if __name__ == "__main__":
    sys.exit(main())
