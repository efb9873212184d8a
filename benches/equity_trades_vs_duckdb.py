#!/usr/bin/env python3
"""Times the equity tape in whalewatch against DuckDB, 2 threads each, interleaved, medians:

(a) ingest: `whalewatch ingest equity-trades --file taq_trades_2025-03-03.csv` into a fresh lake,
    against DuckDB (i) `COPY (SELECT * FROM read_csv(…)) TO '….parquet' (FORMAT parquet)` and (ii) the
    same work: read_csv with explicit types, the columns whalewatch lands (symbol with its class
    suffix, ts in UTC from DATE + TIME_M in New York time, microseconds, off_exchange, the TRF's
    name, regular_sale from the same condition letters, the correction code, the source), the
    voided prints (TR_CORR 02, 07, 08, 10, 11, 12) dropped, written to Snappy Parquet;
(b) query: queries/dark_pool_blocks.sql (-p top=100) over the lake whalewatch landed, with FINRA's
    consolidated short-volume file of the day ingested too, against benches/dark_pool_blocks_duckdb.sql
    (the view dark_pool_trades and short_volume_consolidated inlined) over the same Parquet files.

    python3 benches/generate_equity_trades.py /tmp/whalewatch-equity-day
    cargo build --release
    python3 benches/equity_trades_vs_duckdb.py /tmp/whalewatch-equity-day [--runs 3] [--work-dir DIR]

Before anything is timed: whalewatch's landed rows and DuckDB's same-work rows must agree on the
count, Σ size, the off-exchange and regular-sale counts, the count per TRF, Σ seq and Σ ts (µs), and
both query engines must return the same 100 rows (rank, date, New York time to the µs, symbol,
shares, price, value, TRF, rounded percent of daily volume and DIX, conditions). Every engine runs
in its own process under /usr/bin/time, which gives its peak resident set; DuckDB's runs are a
child Python process (its ~60 MiB of interpreter and module count in its peak) that times its own
statement, connection included. whalewatch is timed as a whole process; for the query also as it
reports the query (planning, listing and execution). Ratios are whalewatch time / DuckDB time:
> 1 means whalewatch is slower.

whalewatch does work DuckDB's same-work COPY does not: it checks every print (a ticker, a time, a
positive whole size, a positive price), keeps the voided prints in rejected_records with their
reason, records the line number of each print (source_line), logs the ingest and writes the file
through its lake transaction. DuckDB's file lands in one date=2025-03-03 directory, as whalewatch's.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.environ.get("WHALEWATCH_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "whalewatch")
QUERY = os.path.join(ROOT, "queries", "dark_pool_blocks.sql")
DUCKDB_QUERY = os.path.join(HERE, "dark_pool_blocks_duckdb.sql")
DAY = "2025-03-03"
TAQ = f"taq_trades_{DAY}.csv"
CNMS = f"CNMSshvol{DAY.replace('-', '')}.txt"
TOP = 100

TAQ_TYPES = ("{'DATE': 'DATE', 'TIME_M': 'TIME', 'EX': 'VARCHAR', 'SYM_ROOT': 'VARCHAR', "
             "'SYM_SUFFIX': 'VARCHAR', 'TR_SCOND': 'VARCHAR', 'SIZE': 'BIGINT', 'PRICE': 'DOUBLE', "
             "'TR_STOP_IND': 'VARCHAR', 'TR_CORR': 'VARCHAR', 'TR_SEQNUM': 'BIGINT', 'TR_ID': 'BIGINT', "
             "'TR_SOURCE': 'VARCHAR', 'TR_RF': 'VARCHAR'}")
# NON_REGULAR_TAQ_CONDITIONS in src/collect/equity_trades.rs.
NON_REGULAR = "WBLZUP4NCRV79MQ"


def plain_copy_sql(csv, out):
    return f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)"


def same_work_sql(csv, out):
    """What whalewatch does to a TAQ CSV, as DuckDB SQL (trf_name, is_regular_sale and
    correction_effect in src/collect/equity_trades.rs)."""
    return f"""
COPY (
    SELECT CASE WHEN nullif(trim(SYM_SUFFIX), '') IS NULL THEN upper(trim(SYM_ROOT))
                ELSE upper(trim(SYM_ROOT)) || '.' || upper(trim(SYM_SUFFIX)) END AS symbol,
           timezone('America/New_York', DATE + TIME_M) AS ts,
           TR_SEQNUM AS seq,
           EX AS exchange,
           EX = 'D' AS off_exchange,
           CASE trim(TR_RF)
               WHEN 'N' THEN 'FINRA/NYSE TRF'
               WHEN 'T' THEN 'FINRA/Nasdaq TRF Carteret'
               WHEN 'Q' THEN 'FINRA/Nasdaq TRF Carteret'
               WHEN 'B' THEN 'FINRA/Nasdaq TRF Chicago'
               ELSE CASE WHEN EX = 'D' THEN coalesce(nullif(trim(TR_RF), ''), 'FINRA ADF') END
           END AS trf,
           SIZE AS size,
           PRICE AS price,
           nullif(trim(TR_SCOND), '') AS conditions,
           coalesce(NOT regexp_matches(TR_SCOND, '[{NON_REGULAR}]'), true) AS regular_sale,
           TR_CORR AS correction,
           '{os.path.basename(csv)}' AS source,
           now() AS ingested_at
    FROM read_csv('{csv}', header = true, delim = ',', quote = '', escape = '', auto_detect = false,
                  columns = {TAQ_TYPES})
    WHERE TR_CORR IS NULL OR TRY_CAST(TR_CORR AS INTEGER) IN (0, 1)
) TO '{out}' (FORMAT parquet, COMPRESSION snappy)"""


def duckdb_query_sql(lake):
    text = open(DUCKDB_QUERY).read()
    body = "\n".join(line.split("--")[0] if not line.lstrip().startswith("--") else ""
                     for line in text.splitlines())
    # $top before $to, which it starts with.
    for name, value in [("$lake", lake), ("$top", str(TOP)), ("$from", "DATE '1900-01-01'"),
                        ("$to", "DATE '2100-12-31'"), ("$symbol", "''")]:
        body = body.replace(name, value)
    assert "$" not in body, body
    return body


# --- DuckDB's side runs in a child process, so that its peak memory is its own. -----------------

def duckdb_child(kind, arg, out):
    import duckdb
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    if kind == "plain":
        rows = con.execute(plain_copy_sql(arg, out)).fetchone()[0]
        result = {"rows": rows}
    elif kind == "same":
        rows = con.execute(same_work_sql(arg, out)).fetchone()[0]
        result = {"rows": rows}
    else:  # query
        fetched = con.execute(duckdb_query_sql(arg)).fetchall()
        result = {"rows": [[str(v) if v is not None else None for v in row] for row in fetched]}
    result["seconds"] = time.perf_counter() - started
    con.close()
    print(json.dumps(result))


def timed(command):
    """(wall seconds, peak RSS MiB, completed process) of a command under GNU time."""
    peak_file = os.path.join(tempfile.gettempdir(), f"equity-bench-{os.getpid()}.rss")
    started = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak_file, *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    with open(peak_file) as f:
        peak = int(f.read().split()[-1]) / 1024
    os.remove(peak_file)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(command)}\n{out.stdout}\n{out.stderr}")
    return wall, peak, out


def run_duckdb(kind, arg, out=""):
    wall, peak, done = timed([sys.executable, os.path.abspath(__file__), "--duckdb-child", kind, arg, out])
    result = json.loads(done.stdout)
    return result["seconds"], wall, peak, result["rows"]


def run_whalewatch_ingest(csv, lake):
    if os.path.exists(lake):
        shutil.rmtree(lake)
    wall, peak, done = timed([BINARY, "--lake", lake, "ingest", "equity-trades", "--file", csv])
    match = re.search(r"(\d+) rows written, (\d+) rows rejected", done.stderr)
    assert match, done.stderr
    voided = re.search(r"(\d+) prints voided", done.stderr)
    return wall, peak, int(match.group(1)), int(match.group(2)), int(voided.group(1)) if voided else 0


def run_whalewatch_query(lake, result):
    wall, peak, done = timed([BINARY, "--lake", lake, "--threads", "2", "run", QUERY, "-p", f"top={TOP}",
                              "--format", "csv", "--output", result])
    match = re.search(r"(\d+) rows? in ([0-9.]+) s", done.stderr)
    assert match, done.stderr
    return wall, float(match.group(2)), peak


# --- Checks --------------------------------------------------------------------------------------

FINGERPRINT = """
SELECT count(*), sum(size), count(*) FILTER (WHERE off_exchange), count(*) FILTER (WHERE regular_sale),
       sum(seq), sum(epoch_us(ts)), count(DISTINCT symbol),
       count(*) FILTER (WHERE trf = 'FINRA/NYSE TRF'), count(*) FILTER (WHERE trf = 'FINRA/Nasdaq TRF Carteret'),
       count(*) FILTER (WHERE trf = 'FINRA/Nasdaq TRF Chicago'), count(*) FILTER (WHERE trf = 'FINRA ADF'),
       count(*) FILTER (WHERE correction = '01')
FROM read_parquet('{}')"""
FINGERPRINT_NAMES = ["rows", "Σ size", "off_exchange", "regular_sale", "Σ seq", "Σ ts µs", "symbols",
                     "NYSE TRF", "Carteret", "Chicago", "ADF", "corrections 01"]


def fingerprint(parquet_glob):
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads = 2")
    row = con.execute(FINGERPRINT.format(parquet_glob)).fetchone()
    con.close()
    return [int(v) for v in row]


def time_us(text):
    h, m, s = text.split(":")
    whole, _, fraction = s.partition(".")
    return ((int(h) * 60 + int(m)) * 60 + int(whole)) * 1_000_000 + int((fraction + "000000")[:6])


def normal_rows(rows):
    """rank, date, time (µs), symbol, shares, price, value, TRF, pct, dix, conditions."""
    out = []
    for r in rows:
        num = lambda v: None if v in (None, "") else float(v)  # noqa: E731
        out.append((int(r[0]), str(r[1]), time_us(r[2]), r[3], int(float(r[4])), num(r[5]), num(r[6]),
                    r[7] or None, num(r[8]), num(r[9]), r[10] or None))
    return out


def same_rows(ours, theirs):
    if len(ours) != len(theirs):
        return f"{len(ours)} rows against {len(theirs)}"
    for a, b in zip(ours, theirs):
        for i, (x, y) in enumerate(zip(a, b)):
            if isinstance(x, float) and isinstance(y, float):
                if abs(x - y) > 1e-9 * max(1.0, abs(x), abs(y)):
                    return f"field {i}: {a} against {b}"
            elif x != y:
                return f"field {i}: {a} against {b}"
    return None


def read_csv_rows(path):
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# --- Main ----------------------------------------------------------------------------------------

def summary(values):
    med = statistics.median(values)
    return med, f"{med:.2f} s ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{med:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", help="where the lakes and DuckDB's Parquet go [a new directory in $TMPDIR]")
    parser.add_argument("--skip-ingest", action="store_true", help="time the query only")
    parser.add_argument("--duckdb-child", nargs=3, metavar=("KIND", "ARG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_child:
        duckdb_child(*args.duckdb_child)
        return 0
    import duckdb

    data = os.path.abspath(args.data_dir)
    csv = os.path.join(data, TAQ)
    cnms = os.path.join(data, CNMS)
    work = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="whalewatch-equity-bench-"))
    os.makedirs(work, exist_ok=True)
    lake = os.path.join(work, "lake")             # checked, then queried
    run_lake = os.path.join(work, "lake-run")     # each timed ingest's fresh lake
    duck_dir = os.path.join(work, "duckdb", "equity_trades", f"date={DAY}")
    os.makedirs(duck_dir, exist_ok=True)
    plain_out = os.path.join(work, "duckdb", "plain.parquet")
    same_out = os.path.join(duck_dir, "same.parquet")
    print(f"whalewatch {BINARY}\nduckdb {duckdb.__version__}; input {csv} ({os.path.getsize(csv) / 2**20:,.0f} MiB); "
          f"work dir {work}", flush=True)

    # (a) ingest: check, then time.
    table = []
    if not args.skip_ingest:
        _, _, ww_landed, ww_rejected, ww_voided = run_whalewatch_ingest(csv, lake)
        _, _, _, rows_in = run_duckdb("plain", csv, plain_out)
        _, _, _, duck_landed = run_duckdb("same", csv, same_out)
        ours = fingerprint(f"{lake}/equity_trades/*/*.parquet")
        theirs = fingerprint(same_out)
        print(f"rows in {rows_in:,}; whalewatch landed {ww_landed:,} ({ww_rejected:,} rejected, "
              f"{ww_voided:,} voided), DuckDB same work {duck_landed:,}")
        for name, a, b in zip(FINGERPRINT_NAMES, ours, theirs):
            print(f"  {name:>15}: whalewatch {a:>26,}  duckdb {b:>26,}{'' if a == b else '  <-- differs'}")
        if ours != theirs or ww_landed != duck_landed:
            sys.exit("whalewatch's landed rows and DuckDB's same-work rows differ: not timing")
        print("landed rows agree", flush=True)

        times = {"ww": [], "plain": [], "same": []}
        walls = {"plain": [], "same": []}
        peaks = {"ww": [], "plain": [], "same": []}
        for i in range(args.runs):  # interleaved, the order rotated
            order = ["ww", "plain", "same"][i % 3:] + ["ww", "plain", "same"][: i % 3]
            for which in order:
                if which == "ww":
                    wall, peak, landed, _, _ = run_whalewatch_ingest(csv, run_lake)
                    assert landed == ww_landed
                    times["ww"].append(wall)
                else:
                    out = plain_out if which == "plain" else same_out
                    seconds, wall, peak, _ = run_duckdb(which, csv, out)
                    times[which].append(seconds)
                    walls[which].append(wall)
                peaks[which].append(peak)
            print(f"  ingest run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        shutil.rmtree(run_lake, ignore_errors=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        table += [
            ("ingest", "whalewatch `ingest equity-trades` (whole process)", rows_in, ww_landed,
             summary(times["ww"])[1], ww_landed / med["ww"], max(peaks["ww"])),
            ("ingest", f"DuckDB {duckdb.__version__} same work (read_csv typed → columns → Snappy Parquet)",
             rows_in, duck_landed, summary(times["same"])[1], duck_landed / med["same"], max(peaks["same"])),
            ("ingest", "DuckDB plain `COPY (SELECT * FROM read_csv(…)) TO parquet`", rows_in, rows_in,
             summary(times["plain"])[1], rows_in / med["plain"], max(peaks["plain"])),
        ]
        ingest_ratios = (med["ww"] / med["same"], med["ww"] / med["plain"])
        print(f"DuckDB child process walls (start-up included): same work {statistics.median(walls['same']):.2f} s, "
              f"plain {statistics.median(walls['plain']):.2f} s")
    elif not os.path.exists(os.path.join(lake, "equity_trades")):
        run_whalewatch_ingest(csv, lake)

    # (b) query: FINRA's file into the checked lake, check, then time.
    subprocess.run([BINARY, "--lake", lake, "ingest", "finra-short-volume", "--file", cnms, "--without-trailer"],
                   check=True, capture_output=True, text=True)
    con = duckdb.connect()
    prints = con.execute(f"SELECT count(*) FROM read_parquet('{lake}/equity_trades/*/*.parquet')").fetchone()[0]
    con.close()
    result = os.path.join(work, "dark_pool_blocks.csv")
    run_whalewatch_query(lake, result)
    header, ours = read_csv_rows(result)
    _, _, _, theirs = run_duckdb("query", lake)
    assert header[:11] == ["rank", "trade_date", "trade_time", "symbol", "shares", "price", "total_value",
                           "dark_pool_venue", "pct_of_daily_volume", "dix_value", "conditions"], header
    ours, theirs = normal_rows(ours), normal_rows(theirs)
    problem = same_rows(ours, theirs)
    if problem:
        sys.exit(f"the engines' dark_pool_blocks differ: {problem}")
    if any(r[9] is None for r in ours):
        sys.exit("a block has no DIX: the short-volume file did not join")
    print(f"both engines return the same {len(ours)} blocks (top: {ours[0][3]} {ours[0][4]:,} sh x "
          f"{ours[0][5]} = {ours[0][6]:,.2f}, {ours[0][7]}, dix {ours[0][9]})", flush=True)
    q_wall, q_reported, q_duck, q_peak_ww, q_peak_duck = [], [], [], [], []
    for i in range(args.runs):
        pair = ["ww", "duck"] if i % 2 == 0 else ["duck", "ww"]
        for which in pair:
            if which == "ww":
                wall, reported, peak = run_whalewatch_query(lake, result)
                q_wall.append(wall)
                q_reported.append(reported)
                q_peak_ww.append(peak)
            else:
                seconds, _, peak, _ = run_duckdb("query", lake)
                q_duck.append(seconds)
                q_peak_duck.append(peak)
        print(f"  query run {i + 1}: whalewatch {q_wall[-1]:.2f} s (reported {q_reported[-1]:.2f} s), "
              f"duckdb {q_duck[-1]:.2f} s", flush=True)
    med = statistics.median
    table += [
        ("query", "whalewatch `run queries/dark_pool_blocks.sql -p top=100` (whole process)", prints, TOP,
         summary(q_wall)[1], prints / med(q_wall), max(q_peak_ww)),
        ("query", "whalewatch, as it reports the query", prints, TOP, summary(q_reported)[1],
         prints / med(q_reported), None),
        ("query", f"DuckDB {duckdb.__version__} benches/dark_pool_blocks_duckdb.sql", prints, TOP,
         summary(q_duck)[1], prints / med(q_duck), max(q_peak_duck)),
    ]

    print(f"\nruns: {args.runs} (interleaved), 2 threads each; medians (min–max)\n")
    print("| step | engine | rows in | rows out | time | rows/s | peak RSS |")
    print("|---|---|---:|---:|---|---:|---:|")
    for step, engine, rows_in, rows_out, spent, rate, peak in table:
        print(f"| {step} | {engine} | {rows_in:,} | {rows_out:,} | {spent} | {rate / 1e6:.2f} M | "
              f"{'' if peak is None else f'{peak:,.0f} MiB'} |")
    print()
    if not args.skip_ingest:
        print(f"ingest ratio whalewatch / DuckDB same work: {ingest_ratios[0]:.2f}x; "
              f"/ DuckDB plain COPY: {ingest_ratios[1]:.2f}x  (> 1 means whalewatch is slower)")
    print(f"query ratio whalewatch / DuckDB: {med(q_wall) / med(q_duck):.2f}x whole process, "
          f"{med(q_reported) / med(q_duck):.2f}x as reported  (> 1 means whalewatch is slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
