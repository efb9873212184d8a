#!/usr/bin/env python3
"""Times sweep detection over an options tape in whalewatch (its print_cluster window function in
'gap' mode, benches/option_sweeps.sql) against DuckDB (the same clusters as lag and running-sum
window SQL, benches/option_sweeps_duckdb.sql), on the same Parquet, 2 threads each, interleaved.

    python3 benches/generate_option_trades.py /tmp/whalewatch-option-lake
    cargo build --release
    python3 benches/option_sweeps_vs_duckdb.py /tmp/whalewatch-option-lake [--runs 5] [--check-python]

A cluster is a contract's prints, in (ts, seq) order, each at most 50 ms after the previous one; a
sweep is a cluster on 2 or more exchanges. Both engines return one row: sweeps, sweep_prints,
sweep_contracts and sweep_premium (Σ size x price x 100); the counts must be equal and the premium
agree to 1e-9 before anything is timed. `--check-python` also computes the four numbers with numpy
(in a child process, so that its memory is not counted as DuckDB's) and checks DuckDB against them:
the counts exactly, the premium against the exact integer Σ size x price-in-cents to 1e-9;
`--python-only` prints that reference and exits. whalewatch is timed as it reports the query
(planning, listing and execution) and as a whole process; its peak memory is the process's maximum
resident set. DuckDB runs in this process with a fresh connection per run.
"""
import argparse
import json
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
QUERY = os.path.join(HERE, "option_sweeps.sql")
DUCKDB_SQL = open(os.path.join(HERE, "option_sweeps_duckdb.sql")).read()
GAP_US = 50_000


def connect(lake):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW option_trades AS SELECT * FROM read_parquet('{lake}/option_trades/*/*.parquet', "
                "hive_partitioning = true, hive_types = {'date': DATE})")
    return con


def run_duckdb(lake):
    started = time.perf_counter()
    con = connect(lake)
    row = con.execute(DUCKDB_SQL).fetchone()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, (int(row[0]), int(row[1]), int(row[2]), float(row[3]))


def run_whalewatch(lake):
    """Wall time, reported query time, the result row, and the peak resident set in MiB (measured
    by GNU time: a forked child's own ru_maxrss would include this process's DuckDB memory)."""
    result = os.path.join(tempfile.gettempdir(), f"whalewatch-option-sweeps-{os.getpid()}.csv")
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
        values = f.read().splitlines()[1].split(",")
    os.remove(result)
    row = (*(int(float(v)) for v in values[:3]), float(values[3]))
    return wall, float(match.group(2)), row, peak


def python_reference(lake):
    """The four numbers from numpy, independently of both engines: sort every print by (contract,
    ts, seq), start a cluster at each contract's first print and after each gap > 50,000 µs, count
    the distinct exchanges of each cluster. The premium is exact: Σ size x price in cents."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table = ds.dataset(f"{lake}/option_trades", format="parquet", partitioning="hive").to_table(
        columns=["contract", "ts", "seq", "exchange", "size", "price"])
    contract = pc.dictionary_encode(table["contract"].combine_chunks()).indices.to_numpy()
    exchange = pc.dictionary_encode(table["exchange"].combine_chunks())
    n_exchanges = len(exchange.dictionary)
    exchange = exchange.indices.to_numpy().astype(np.int64)
    ts = table["ts"].cast("int64").to_numpy()
    seq = table["seq"].to_numpy()
    size = table["size"].to_numpy()
    cents = np.round(table["price"].to_numpy() * 100).astype(np.int64)
    del table
    order = np.lexsort((seq, ts, contract))
    contract, ts, exchange, size, cents = contract[order], ts[order], exchange[order], size[order], cents[order]
    del order, seq
    starts = np.ones(len(ts), dtype=bool)
    starts[1:] = (contract[1:] != contract[:-1]) | (ts[1:] - ts[:-1] > GAP_US)
    cluster = np.cumsum(starts) - 1
    pairs = np.unique(cluster * n_exchanges + exchange)
    exchanges = np.bincount(pairs // n_exchanges, minlength=cluster[-1] + 1 if len(cluster) else 0)
    sweep = exchanges >= 2
    in_sweep = sweep[cluster]
    return {"rows": int(len(ts)), "sweeps": int(sweep.sum()), "sweep_prints": int(in_sweep.sum()),
            "sweep_contracts": int(size[in_sweep].sum()),
            "sweep_premium_exact": int((size[in_sweep] * cents[in_sweep]).sum())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check-python", action="store_true",
                        help="also check DuckDB's numbers against a numpy implementation")
    parser.add_argument("--python-only", action="store_true", help="print the numpy reference (JSON) and exit")
    parser.add_argument("--duckdb-only", action="store_true", help="time DuckDB alone (no whalewatch binary)")
    args = parser.parse_args()
    lake = os.path.abspath(args.lake)
    if args.python_only:
        print(json.dumps(python_reference(lake)))
        return 0

    con = connect(lake)
    rows = con.execute("SELECT count(*) FROM option_trades").fetchone()[0]
    con.close()
    # Both engines (and numpy, when asked) must agree before they are timed.
    _, duck = run_duckdb(lake)
    if args.check_python:
        out = subprocess.run([sys.executable, os.path.abspath(__file__), lake, "--python-only"],
                             capture_output=True, text=True, check=True)
        reference = json.loads(out.stdout)
        expected = (reference["sweeps"], reference["sweep_prints"], reference["sweep_contracts"])
        assert reference["rows"] == rows, (reference, rows)
        assert duck[:3] == expected, (duck, reference)
        exact = reference["sweep_premium_exact"]
        assert abs(duck[3] - exact) <= 1e-9 * abs(exact), (duck, reference)
        print(f"numpy reference agrees with DuckDB: counts equal, premium {exact:,} exactly, "
              f"DuckDB off by {abs(duck[3] - exact) / max(abs(exact), 1):.1e} relative")
    if not args.duckdb_only:
        _, _, ours, _ = run_whalewatch(lake)
        assert ours[:3] == duck[:3], (ours, duck)
        assert abs(ours[3] - duck[3]) <= 1e-9 * abs(duck[3]), (ours, duck)
    print(f"{rows:,} option prints; {duck[0]:,} sweeps, {duck[1]:,} sweep prints, {duck[2]:,} contracts, "
          f"premium {duck[3]:,.0f}" + ("" if args.duckdb_only else "; both engines agree"))

    duck_times, query, wall, peaks = [], [], [], []
    for _ in range(args.runs):  # interleaved, so that machine noise hits both alike
        elapsed, _ = run_duckdb(lake)
        duck_times.append(elapsed)
        if not args.duckdb_only:
            w, q, _, peak = run_whalewatch(lake)
            wall.append(w)
            query.append(q)
            peaks.append(peak or 0)
    duckdb_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = statistics.median
    print(f"runs: {args.runs}, 2 threads each, lake {lake}")
    print(f"duckdb {duckdb.__version__} (in-process):       median {med(duck_times):.3f} s  "
          f"(min {min(duck_times):.3f}, max {max(duck_times):.3f})  {rows / med(duck_times) / 1e6:.1f} M trades/s")
    if not args.duckdb_only:
        print(f"whalewatch query (as reported):     median {med(query):.3f} s  "
              f"(min {min(query):.3f}, max {max(query):.3f})  {rows / med(query) / 1e6:.1f} M trades/s")
        print(f"whalewatch process (with start-up): median {med(wall):.3f} s  "
              f"(min {min(wall):.3f}, max {max(wall):.3f})")
        print(f"ratio duckdb / whalewatch query: {med(duck_times) / med(query):.2f}x  (> 1 means whalewatch is faster)")
        print(f"peak resident memory: whalewatch {max(peaks):,.0f} MiB, duckdb (this process) {duckdb_peak:,.0f} MiB")
    else:
        print(f"peak resident memory: duckdb (this process) {duckdb_peak:,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
