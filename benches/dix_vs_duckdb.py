#!/usr/bin/env python3
"""Times queries/dix.sql in whalewatch against the same SQL in DuckDB, on the same Parquet lake,
with 2 threads each, in one run, and prints medians and the ratio.

    python3 benches/generate_lake.py /tmp/whalewatch-bench-lake
    cargo build --release
    python3 benches/dix_vs_duckdb.py /tmp/whalewatch-bench-lake [--runs 7]

whalewatch is timed two ways: the whole process (`whalewatch run …`, start-up included), and
the query alone as the process reports it (planning, file listing and execution). DuckDB is timed
in-process: a fresh connection per run, the views created, then the query executed and fetched.
The DuckDB SQL is the same query file with `dix(s, t, p)` spelled out as Σ s·p / Σ t·p (the same
NULL handling on this data, which has no NULLs) and the parameters inlined. `--query` compares
another file of the same shape (benches/dix_join_form.sql is the first formulation of dix.sql).
"""
import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import time

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("WHALEWATCH_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "whalewatch")
CONSOLIDATED = "CREATE VIEW short_volume_consolidated AS\n" + open(
    os.path.join(ROOT, "src", "catalog", "short_volume_consolidated.sql")).read()


def duckdb_sql(query, basket):
    text = open(query).read()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    body = re.sub(r"dix\(([^,()]+),\s*([^,()]+),\s*([^,()]+)\)", r"sum(\1 * \3) / sum(\2 * \3)", body)
    # DuckDB turns DATE - INTERVAL into a TIMESTAMP, which slows its date filter down: give it the
    # look-back day as a DATE literal, the value DataFusion folds the expression to.
    look_back = dt.date(1990, 1, 1) - dt.timedelta(days=45)
    body = body.replace("CAST($from AS DATE) - INTERVAL '45 days'", f"DATE '{look_back}'")
    body = body.replace("$basket", f"'{basket}'").replace("$from", "DATE '1990-01-01'").replace("$to", "DATE '2100-12-31'")
    assert "$" not in body and "dix(" not in body, body
    return body


def run_duckdb(lake, sql):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.execute(f"CREATE VIEW short_volume AS SELECT * FROM read_parquet('{lake}/short_volume/*/*.parquet', "
                "hive_partitioning = true, hive_types = {'date': DATE})")
    con.execute(f"CREATE VIEW bars AS SELECT * FROM read_parquet('{lake}/bars/*/*.parquet', "
                "hive_partitioning = true, hive_types = {'date': DATE})")
    con.execute(f"CREATE VIEW baskets AS SELECT * FROM read_parquet('{lake}/baskets/*.parquet')")
    con.execute(CONSOLIDATED)
    rows = con.execute(sql).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, rows


def run_whalewatch(lake, query, basket):
    started = time.perf_counter()
    out = subprocess.run(
        [BINARY, "--lake", lake, "--threads", "2", "run", query,
         "-p", f"basket={basket}", "--format", "csv", "--output", os.devnull],
        capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    match = re.search(r"(\d+) rows in ([0-9.]+) s", out.stderr)
    return wall, float(match.group(2)), int(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lake")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--basket", default="bench500")
    parser.add_argument("--query", default=os.path.join(ROOT, "queries", "dix.sql"),
                        help="the query file to compare (default: queries/dix.sql)")
    args = parser.parse_args()
    lake = os.path.abspath(args.lake)
    sql = duckdb_sql(args.query, args.basket)

    # Check that both engines agree before timing them.
    _, duck_rows = run_duckdb(lake, sql)
    check = subprocess.run([BINARY, "--lake", lake, "--threads", "2", "run", args.query,
                            "-p", f"basket={args.basket}", "--format", "csv"], capture_output=True, text=True, check=True)
    ours = [line.split(",") for line in check.stdout.splitlines()[1:]]
    assert len(ours) == len(duck_rows), (len(ours), len(duck_rows))
    worst = max(abs(float(a[1]) - b[1]) + abs(float(a[2]) - b[2]) for a, b in zip(ours, duck_rows))
    assert worst < 1e-9, worst
    print(f"both engines return {len(ours)} days; largest difference in dix/dix_20d: {worst:.2e}")

    duck, wall, query = [], [], []
    for _ in range(args.runs):  # interleaved, so that machine noise hits both alike
        elapsed, _ = run_duckdb(lake, sql)
        duck.append(elapsed)
        w, q, _ = run_whalewatch(lake, args.query, args.basket)
        wall.append(w)
        query.append(q)
    med = statistics.median
    print(f"query {os.path.relpath(args.query, ROOT)}; runs: {args.runs}, 2 threads each, lake {lake}")
    print(f"duckdb {duckdb.__version__} query (in-process):  median {med(duck):.3f} s  (min {min(duck):.3f}, max {max(duck):.3f})")
    print(f"whalewatch query (as reported):     median {med(query):.3f} s  (min {min(query):.3f}, max {max(query):.3f})")
    print(f"whalewatch process (with start-up): median {med(wall):.3f} s  (min {min(wall):.3f}, max {max(wall):.3f})")
    print(f"ratio duckdb / whalewatch query: {med(duck) / med(query):.2f}x  (> 1 means whalewatch is faster)")


if __name__ == "__main__":
    sys.exit(main())
