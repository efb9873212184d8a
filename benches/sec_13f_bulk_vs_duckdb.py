#!/usr/bin/env python3
"""Times landing a quarter of the SEC's Form 13F data sets: `whalewatch ingest sec-13f-bulk --file`
into a fresh lake, against the comparable work in DuckDB, interleaved, 2 threads each.

    python3 benches/generate_13f_data_set.py          # /tmp/whalewatch-bench/2024q3_form13f.zip
    cargo build --release
    python3 benches/sec_13f_bulk_vs_duckdb.py [ZIP] [--runs 5] [--bin PATH] [--skip-whalewatch]

whalewatch: `BIN --lake FRESH_LAKE --threads 2 ingest sec-13f-bulk --file ZIP`, one fresh empty lake
per run, timed as a whole process (wall time); it reads the ZIP, parses the SUBMISSION, COVERPAGE,
SUMMARYPAGE and INFOTABLE members, decides each filing's value unit, checks CUSIPs, reconciles
against the summary pages and writes `holdings_13f` (one file per report period) and
`filings_13f`. Its rows are counted afterwards from FRESH_LAKE/holdings_13f (hive-partitioned
Parquet); its peak memory is the process's maximum resident set (GNU time). The binary is
WHALEWATCH_BIN, --bin, or $HOME/.cache/whalewatch-target/release/whalewatch, copied to a temporary
directory first so that a concurrent build cannot replace it mid-run.

DuckDB (in-process, threads = 2, default memory limit, a fresh connection and directory per run):
(a) INFOTABLE.tsv and SUBMISSION.tsv extracted from the ZIP with Python's zipfile (DuckDB cannot
read inside a ZIP), then (b) one COPY that parses both, joins every row to its filing (CIK, report
period) and writes hive-partitioned Parquet by PERIODOFREPORT, Snappy. Reported as a whole and the
COPY alone. DuckDB does less than whalewatch (no unit decision, no CUSIP check, no reconciliation,
no filings table), so the ratio flatters DuckDB.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

DEFAULT_ZIP = "/tmp/whalewatch-bench/2024q3_form13f.zip"
DEFAULT_BIN = os.path.join(os.path.expanduser("~"), ".cache", "whalewatch-target", "release", "whalewatch")
BUDGET_S = 60.0
THREADS = 2

# Columns whose values DuckDB's sniffer would mistype (CUSIPs with leading zeros as integers, '1,2'
# lists of managers after a sample of '1's, columns empty in the sample); whalewatch reads them as text.
INFOTABLE_TYPES = {"ACCESSION_NUMBER": "VARCHAR", "INFOTABLE_SK": "BIGINT", "NAMEOFISSUER": "VARCHAR",
                   "TITLEOFCLASS": "VARCHAR", "CUSIP": "VARCHAR", "FIGI": "VARCHAR", "VALUE": "DOUBLE",
                   "SSHPRNAMT": "DOUBLE", "SSHPRNAMTTYPE": "VARCHAR", "PUTCALL": "VARCHAR",
                   "INVESTMENTDISCRETION": "VARCHAR", "OTHERMANAGER": "VARCHAR", "VOTING_AUTH_SOLE": "DOUBLE",
                   "VOTING_AUTH_SHARED": "DOUBLE", "VOTING_AUTH_NONE": "DOUBLE"}
SUBMISSION_TYPES = {"ACCESSION_NUMBER": "VARCHAR", "FILING_DATE": "DATE", "SUBMISSIONTYPE": "VARCHAR",
                    "CIK": "VARCHAR", "PERIODOFREPORT": "DATE"}


def read_csv(path, types):
    spec = ", ".join(f"'{k}': '{v}'" for k, v in types.items())
    return (f"read_csv('{path}', delim = '\\t', header = true, quote = '', escape = '', all_varchar = false, "
            f"dateformat = '%d-%b-%Y', types = {{{spec}}})")


def extract(zip_path, directory):
    """INFOTABLE.tsv and SUBMISSION.tsv (found by file name, in any folder, any case) into `directory`."""
    wanted = {"infotable.tsv": "INFOTABLE.tsv", "submission.tsv": "SUBMISSION.tsv"}
    found = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = wanted.get(info.filename.rsplit("/", 1)[-1].lower())
            if target and target not in found:
                path = os.path.join(directory, target)
                with zf.open(info) as src, open(path, "wb") as dst:
                    shutil.copyfileobj(src, dst, 16 << 20)
                found[target] = path
    missing = set(wanted.values()) - set(found)
    assert not missing, f"{zip_path} has no {', '.join(sorted(missing))}"
    return found["INFOTABLE.tsv"], found["SUBMISSION.tsv"]


def run_duckdb(zip_path, work):
    """(total seconds, COPY seconds, rows written, partitions)."""
    directory = tempfile.mkdtemp(prefix="duckdb-13f-", dir=work)
    try:
        started = time.perf_counter()
        infotable, submission = extract(zip_path, directory)
        extracted = time.perf_counter()
        out = os.path.join(directory, "out")
        con = duckdb.connect()
        con.execute(f"SET threads = {THREADS}")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET temp_directory = '{directory}/spill'")
        con.execute(
            f"COPY (SELECT i.*, s.CIK, s.PERIODOFREPORT FROM {read_csv(infotable, INFOTABLE_TYPES)} i "
            f"JOIN {read_csv(submission, SUBMISSION_TYPES)} s USING (ACCESSION_NUMBER)) "
            f"TO '{out}' (FORMAT parquet, PARTITION_BY (PERIODOFREPORT), COMPRESSION snappy)")
        con.close()
        done = time.perf_counter()
        dataset = ds.dataset(out, format="parquet", partitioning="hive")
        rows = dataset.count_rows()
        partitions = len([d for d in os.listdir(out) if "=" in d])
        return done - started, done - extracted, rows, partitions
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_whalewatch(binary, zip_path, work):
    """(wall seconds, rows in holdings_13f, partitions, peak resident MiB or None, stderr+stdout)."""
    lake = tempfile.mkdtemp(prefix="whalewatch-13f-lake-", dir=work)
    peak_file = os.path.join(work, "whalewatch.rss")
    measure = ["/usr/bin/time", "-f", "%M", "-o", peak_file] if os.path.exists("/usr/bin/time") else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        started = time.perf_counter()
        # In the work directory, so that no ./whalewatch.toml of the caller's is picked up.
        out = subprocess.run([*measure, binary, "--lake", lake, "--threads", str(THREADS), "ingest", "sec-13f-bulk",
                              "--file", zip_path], capture_output=True, text=True, cwd=work)
        wall = time.perf_counter() - started
        if out.returncode != 0:
            sys.exit(f"whalewatch failed (exit {out.returncode}):\n{out.stdout}{out.stderr}")
        if measure:
            with open(peak_file) as f:
                peak = int(f.read().split()[-1]) / 1024
            os.remove(peak_file)
        else:  # the largest child so far: right only if this one is the largest
            after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            peak = after / 1024 if after > before else None
        holdings = os.path.join(lake, "holdings_13f")
        try:
            dataset = ds.dataset(holdings, format="parquet", partitioning="hive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a partition key also stored in the files
            dataset = ds.dataset(holdings, format="parquet")
        rows = dataset.count_rows()
        partitions = len([d for d in os.listdir(holdings) if "=" in d])
        return wall, rows, partitions, peak, (out.stdout + out.stderr).strip()
    finally:
        shutil.rmtree(lake, ignore_errors=True)


def describe(zip_path):
    """Filings and INFOTABLE rows in the ZIP (counted by lines, outside the timings)."""
    counts = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename.rsplit("/", 1)[-1].upper()
            if name in ("SUBMISSION.TSV", "INFOTABLE.TSV"):
                lines = 0
                with zf.open(info) as f:
                    while chunk := f.read(16 << 20):
                        lines += chunk.count(b"\n")
                counts[name] = (lines - 1, info.file_size)
    return counts


def seconds(values):
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("zip", nargs="?", default=DEFAULT_ZIP)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", default=os.environ.get("WHALEWATCH_BIN") or DEFAULT_BIN)
    parser.add_argument("--skip-whalewatch", action="store_true", help="time DuckDB alone (no whalewatch binary)")
    parser.add_argument("--work", default=None, help="directory for the temporary lakes and extracts [default: "
                        "a new one beside the ZIP]")
    args = parser.parse_args()
    zip_path = os.path.abspath(args.zip)
    if not os.path.isfile(zip_path):
        sys.exit(f"{zip_path} does not exist: run benches/generate_13f_data_set.py first")
    work = tempfile.mkdtemp(prefix="sec-13f-bench-", dir=args.work or os.path.dirname(zip_path))
    try:
        binary = None
        if not args.skip_whalewatch:
            if not os.path.isfile(args.bin):
                sys.exit(f"no whalewatch binary at {args.bin}: build it (cargo build --release), give --bin or "
                         "WHALEWATCH_BIN, or time DuckDB alone with --skip-whalewatch")
            binary = os.path.join(work, "whalewatch")
            shutil.copy2(args.bin, binary)
        return bench(args, zip_path, work, binary)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(args, zip_path, work, binary):
    counts = describe(zip_path)
    filings, _ = counts["SUBMISSION.TSV"]
    rows, info_bytes = counts["INFOTABLE.TSV"]
    print(f"{zip_path}: {os.path.getsize(zip_path) / 2 ** 20:,.1f} MiB, {filings:,} filings, {rows:,} INFOTABLE "
          f"rows (INFOTABLE.tsv {info_bytes / 2 ** 20:,.1f} MiB uncompressed)")
    if binary:
        print(f"whalewatch: {args.bin} (run from a copy)")

    duck_total, duck_copy, wall, peaks = [], [], [], []
    duck_rows = ww_rows = None
    for run in range(args.runs):  # interleaved, so that machine noise hits both alike
        total, copy, landed, partitions = run_duckdb(zip_path, work)
        duck_total.append(total)
        duck_copy.append(copy)
        if duck_rows is None:
            duck_rows = landed
            print(f"DuckDB wrote {landed:,} rows in {partitions} PERIODOFREPORT partitions")
            if landed != rows:
                print(f"WARNING: DuckDB's join kept {landed:,} of {rows:,} INFOTABLE rows")
        line = f"run {run + 1}/{args.runs}: DuckDB {total:.2f} s (COPY {copy:.2f} s)"
        if binary:
            elapsed, landed, partitions, peak, report = run_whalewatch(binary, zip_path, work)
            wall.append(elapsed)
            peaks.append(peak)
            if ww_rows is None:
                ww_rows = landed
                print(f"whalewatch landed {landed:,} rows in {partitions} report-period partitions; its report:")
                print("    " + "\n    ".join(report.splitlines()[-12:]))
                if landed != rows:
                    print(f"WARNING: whalewatch landed {landed:,} of {rows:,} INFOTABLE rows")
            line += f", whalewatch {elapsed:.2f} s" + (f", {peak:,.0f} MiB" if peak else "")
        print(line, flush=True)

    med = statistics.median
    duck_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"runs: {args.runs}, {THREADS} threads each, {rows:,} rows; DuckDB {duckdb.__version__} in-process")
    print()
    print(f"| engine | median of {args.runs} (min–max) | rows/s | peak memory |")
    print("|---|---|---|---|")
    print(f"| DuckDB {duckdb.__version__}: unzip INFOTABLE + SUBMISSION, then COPY … JOIN … TO Parquet "
          f"(in-process) | {seconds(duck_total)} | {rows / med(duck_total) / 1e6:.2f} M | "
          f"{duck_peak:,.0f} MiB (the Python process) |")
    print(f"| DuckDB {duckdb.__version__}: the COPY alone (parse, join, write) | {seconds(duck_copy)} | "
          f"{rows / med(duck_copy) / 1e6:.2f} M | |")
    if binary:
        known = [p for p in peaks if p]
        print(f"| whalewatch `ingest sec-13f-bulk --file` (whole process) | {seconds(wall)} | "
              f"{rows / med(wall) / 1e6:.2f} M | {f'{max(known):,.0f} MiB' if known else '—'} |")
        print()
        print(f"Ratio DuckDB / whalewatch: **{med(duck_total) / med(wall):.2f}×** with the unzip, "
              f"{med(duck_copy) / med(wall):.2f}× against the COPY alone (> 1 means whalewatch is faster).")
        verdict = "met" if med(wall) <= BUDGET_S else "**not met**"
        print(f"Budget ≤ {BUDGET_S:.0f} s for whalewatch: {verdict} (median {med(wall):.2f} s, "
              f"max {max(wall):.2f} s).")
        if ww_rows != duck_rows:
            print(f"Rows: whalewatch {ww_rows:,}, DuckDB {duck_rows:,}: they differ (see the report above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
