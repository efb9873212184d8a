#!/usr/bin/env python3
"""What a snapshot commit costs as the lake grows: one small FINRA file ingested (one source: its
rows and its ingest_log row published together) into an empty lake and into a lake of N files,
and one statement that lists a 2,520-file dataset, whalewatch against DuckDB on the same files.

    python3 benches/generate_lake.py /tmp/ww-many-files --days 2520 --symbols 20 --basket 10
    python3 benches/commit_cost.py /tmp/ww-many-files [--runs 7] [--whalewatch PATH]

Each run ingests into a fresh copy of the lake (copying is not timed). Medians of interleaved runs.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "tests", "fixtures", "finra", "CNMSshvol20210802.txt")


def timed(command, env):
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr.decode()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lake")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--whalewatch", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/whalewatch-target")),
        "release", "whalewatch"))
    args = parser.parse_args()
    files = sum(len([f for f in fs if f.endswith(".parquet")]) for _, _, fs in os.walk(args.lake))
    scratch = tempfile.mkdtemp(prefix="ww-commit-")
    big, small = os.path.join(scratch, "big"), os.path.join(scratch, "small")
    # The first ingest of a lake written without snapshots publishes its listing: done once,
    # outside the timing, so that every timed ingest is a plain commit.
    shutil.copytree(args.lake, big + "-base")
    env = dict(os.environ, WHALEWATCH_THREADS="2")
    basket = os.path.join(scratch, "baskets.csv")
    with open(basket, "w") as out:
        out.write("basket,symbol\nfirst-commit,AAPL\n")
    subprocess.run([args.whalewatch, "ingest", "baskets", "--file", basket],
                   env=dict(env, WHALEWATCH_LAKE=big + "-base"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ingest = [args.whalewatch, "ingest", "finra-short-volume", "--without-trailer", "--file"]
    os.makedirs(small + "-base")
    subprocess.run([args.whalewatch, "init", small + "-base"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    times = {"empty lake": [], f"lake of {files:,} files": []}
    for _ in range(args.runs):
        for name, base in (("empty lake", small + "-base"), (f"lake of {files:,} files", big + "-base")):
            target = base[:-5]
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(base, target)
            # Another source name each time, so the content is never a duplicate of the base's.
            source = os.path.join(scratch, "CNMSshvol20210802.txt")
            shutil.copy(FIXTURE, source)
            times[name].append(timed(ingest + [source], dict(env, WHALEWATCH_LAKE=target)))
    snapshots = os.path.join(big + "-base", ".whalewatch", "snapshots")
    size = max(os.path.getsize(os.path.join(snapshots, f)) for f in os.listdir(snapshots))
    print(f"snapshot of the {files:,}-file lake: {size:,} bytes")
    for name, values in times.items():
        print(f"ingest one FINRA file, {name}: median {statistics.median(values):.3f} s "
              f"(min {min(values):.3f}, max {max(values):.3f})")
    query = "SELECT count(*) FROM short_volume"
    whalewatch, duckdb_times = [], []
    try:
        import duckdb
    except ImportError:
        duckdb = None
    for _ in range(args.runs):
        whalewatch.append(timed([args.whalewatch, "sql", query], dict(env, WHALEWATCH_LAKE=big + "-base")))
        if duckdb:
            started = time.perf_counter()
            con = duckdb.connect()
            con.execute("SET threads = 2")
            con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = true)",
                        [os.path.join(big + "-base", "short_volume", "*", "*.parquet")]).fetchall()
            duckdb_times.append(time.perf_counter() - started)
    print(f"{query} over 2,521 files, whalewatch process: median {statistics.median(whalewatch):.3f} s")
    if duckdb_times:
        print(f"same count, DuckDB in-process: median {statistics.median(duckdb_times):.3f} s")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
