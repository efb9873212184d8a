#!/usr/bin/env python3
"""Generates one synthetic trading day of the consolidated equity tape as an NYSE TAQ trade CSV
(the WRDS layout `whalewatch ingest equity-trades` reads) and FINRA's consolidated short-volume
file for the same day, for benches/equity_trades_vs_duckdb.py.

    python3 benches/generate_equity_trades.py /tmp/whalewatch-equity-day [--rows 20000000] [--symbols 8000] [--seed 7]

Writes OUT_DIR/taq_trades_2025-03-03.csv:

    DATE,TIME_M,EX,SYM_ROOT,SYM_SUFFIX,TR_SCOND,SIZE,PRICE,TR_STOP_IND,TR_CORR,TR_SEQNUM,TR_ID,TR_SOURCE,TR_RF
    2025-03-03,9:30:00.123456789,D,AAPL,,@  I,37,241.8412,,00,1834221,5512,N,Q

sorted by (SYM_ROOT, SYM_SUFFIX, TIME_M) as TAQ files are, New York times to the nanosecond (hour
not zero-padded), and OUT_DIR/CNMSshvol20250303.txt (`Date|Symbol|ShortVolume|ShortExemptVolume|
TotalVolume|Market`, one row per symbol, classes written as FINRA writes them, BRK/A; no trailer:
ingest it with --without-trailer).

The tape: --symbols instruments (a dozen of them class shares with a suffix, such as BRK A / BRK B,
and a few preferreds, suffix PRA), their activity Zipf-like (exponent 0.85) over a random ranking;
prints from 04:00 to 20:00, ~91 % in the 09:30-16:00 session (denser at the open and the close);
~45 % reported off-exchange (EX = D) with TR_RF naming the TRF (Q, N, B, T; ~1 % blank = ADF), the
others on 16 exchange letters. Sizes: odd lots, round lots, mixed lots and a heavy tail (~0.2 % of
prints of 10,000+ shares; prints of $200,000+ besides). Prices per symbol log-normal in $1-$1,000,
moving a few percent over the day; exchange prints on the cent, off-exchange ones also at the half
cent or to 4 decimals; written with at most 4 decimals and no trailing zeros. Sale conditions a mix
of regular ones (`@`, `@  I`, `@F`, `@ TI`, `T`, `@O X`, `@6 X`) and ~4 % non-regular ones (`@ W`, `L`,
`@4`, `@ 7`, `@ P`, `U`, `@ Z`). TR_CORR is `00` except ~0.01 % of prints that come as a correction
pair (`01` with the corrected data, then `12` with the original) and ~0.01 % as a cancel pair (`08`,
then its `10` record): whalewatch lands the 01 rows and voids the 12, 08 and 10 rows. TR_SEQNUM is the
print's rank in time order over the whole tape. FINRA's TotalVolume is the symbol's off-exchange
volume (at least 100), ShortVolume 40-60 % of it, ShortExemptVolume 0-2 % of that. Deterministic
for a given seed. 20 M rows (1.4 GB of CSV) take 30-40 s and ~2.8 GB of memory.
"""
import argparse
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DATE = "2025-03-03"
HEADER = ["DATE", "TIME_M", "EX", "SYM_ROOT", "SYM_SUFFIX", "TR_SCOND", "SIZE", "PRICE", "TR_STOP_IND",
          "TR_CORR", "TR_SEQNUM", "TR_ID", "TR_SOURCE", "TR_RF"]
HOUR = 3_600_000_000_000  # ns
MINUTE = HOUR // 60

# Exchange letters (CTA/UTP participant ids) and their shares of the on-exchange prints.
EXCHANGES = ["Q", "N", "P", "K", "Z", "V", "U", "J", "Y", "X", "B", "H", "A", "C", "M", "L"]
EXCHANGE_SHARE = np.array([26, 12, 13, 10, 9, 5, 6, 3, 3, 2, 2, 3, 1.5, 1, 0.5, 0.3])
EXCHANGE_SHARE /= EXCHANGE_SHARE.sum()
OFF_EXCHANGE_SHARE = 0.45
# TR_RF of off-exchange prints; the last (None) is a blank: FINRA's ADF.
TRFS = ["Q", "N", "B", "T", None]
TRF_SHARE = np.array([0.52, 0.31, 0.12, 0.04, 0.01])
# Sale conditions in the regular session and outside it (extended hours: form T).
CONDITIONS = ["@", "@  I", "@F", "@F I", "@O X", "@6 X", "@ TI", "T",
              "@ W", "L", "@4", "@ 7", "@ P", "U", "@ Z"]
SESSION_SHARE = np.array([36, 38, 10, 6, 0.3, 0.3, 0.7, 0.7,
                          0.8, 0.7, 1.2, 0.4, 0.3, 0.1, 0.3])
EXTENDED_SHARE = np.array([0, 0, 0, 0, 0, 0, 48, 46,
                           0.5, 1.5, 0.5, 0, 0.5, 3, 0])
SESSION_SHARE /= SESSION_SHARE.sum()
EXTENDED_SHARE /= EXTENDED_SHARE.sum()
ZIPF = 0.85
CORRECTION_SHARE = 0.0001  # of prints, each a 01 + 12 pair
CANCEL_SHARE = 0.0001      # of prints, each an 08 + 10 pair
CHUNK = 1 << 20


def make_symbols(rng, count):
    """(roots, suffixes) sorted as TAQ sorts them: a dozen roots with A/B class shares (BRK, BF
    among them), a few with a preferred (suffix PRA) besides the common, the rest plain."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    roots = {"BRK", "BF"}
    lengths = rng.choice([1, 2, 3, 4, 5], size=count * 2, p=[0.003, 0.04, 0.33, 0.58, 0.047])
    for n in lengths:
        if len(roots) >= count:
            break
        roots.add("".join(rng.choice(letters, n)))
    roots = sorted(roots)
    n_class = min(12, max(2, count // 600))
    n_preferred = min(8, max(0, count // 1000))
    others = [r for r in roots if r not in ("BRK", "BF")]
    picked = rng.choice(len(others), n_class - 2 + n_preferred, replace=False)
    classes = {"BRK", "BF"} | {others[i] for i in picked[: n_class - 2]}
    preferred = {others[i] for i in picked[n_class - 2:]}
    symbols = []
    for r in roots:
        if r in classes:
            symbols += [(r, "A"), (r, "B")]
        else:
            symbols.append((r, ""))
            if r in preferred:
                symbols.append((r, "PRA"))
    symbols = sorted(symbols)[:count]
    return [s[0] for s in symbols], [s[1] for s in symbols]


def times_of_day(rng, n):
    """Nanoseconds after midnight, New York: extended hours thin, the session U-shaped."""
    part = rng.random(n)
    pre = part < 0.05
    post = part > 0.96
    session = ~(pre | post)
    t = np.empty(n, dtype=np.int64)
    open_, close = 9 * HOUR + 30 * MINUTE, 16 * HOUR
    t[session] = open_ + (rng.beta(0.7, 0.7, session.sum()) * (close - open_)).astype(np.int64)
    t[pre] = open_ - 1 - (rng.beta(1.0, 3.0, pre.sum()) * (open_ - 4 * HOUR - 1)).astype(np.int64)
    t[post] = close + (rng.beta(1.0, 4.0, post.sum()) * (20 * HOUR - close - 1)).astype(np.int64)
    return t


def sizes(rng, n):
    kind = rng.random(n)
    out = np.empty(n, dtype=np.int64)
    odd = kind < 0.50
    out[odd] = np.ceil(rng.beta(0.6, 1.6, odd.sum()) * 99).clip(1, 99)
    rnd = (kind >= 0.50) & (kind < 0.80)
    out[rnd] = 100 * np.minimum(rng.geometric(0.55, rnd.sum()), 50)
    mixed = (kind >= 0.80) & (kind < 0.97)
    out[mixed] = np.round(rng.lognormal(5.6, 1.0, mixed.sum())).clip(101, 9_999)
    big = kind >= 0.97
    out[big] = np.maximum(100, np.round(rng.lognormal(7.6, 1.25, big.sum()) / 100) * 100).clip(100, 5_000_000)
    return out


def price_text(price_e4):
    """Prices in 1/10,000 dollar as text: at most 4 decimals, no trailing zeros, no bare dot."""
    whole = pc.cast(pa.array(price_e4 // 10_000), pa.string())
    fraction = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(pa.array(price_e4 % 10_000), pa.string()), 4, "0"), "0")
    joined = pc.binary_join_element_wise(whole, fraction, ".")
    return pc.if_else(pc.equal(fraction, ""), whole, joined)


def time_text(ns):
    """TIME_M: H:MM:SS.fffffffff (the hour not zero-padded)."""
    def part(values, width):
        text = pc.cast(pa.array(values), pa.string())
        return pc.utf8_lpad(text, width, "0") if width > 1 else text
    seconds = pc.binary_join_element_wise(part(ns // 1_000_000_000 % 60, 2), part(ns % 1_000_000_000, 9), ".")
    return pc.binary_join_element_wise(part(ns // HOUR, 1), part(ns // MINUTE % 60, 2), seconds, ":")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--rows", type=int, default=20_000_000, help="CSV rows, voided ones included")
    parser.add_argument("--symbols", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)

    roots, suffixes = make_symbols(rng, args.symbols)
    n_sym = len(roots)
    n_rows = args.rows
    n_corr = int(round(n_rows * CORRECTION_SHARE))
    n_cancel = int(round(n_rows * CANCEL_SHARE))
    n_events = n_rows - n_corr - n_cancel

    # Activity: Zipf over a random ranking of the symbols; the tape sorted by (symbol, time).
    rank = rng.permutation(n_sym)
    popularity = 1.0 / (rank + 2.0) ** ZIPF
    counts = rng.multinomial(n_events, popularity / popularity.sum())
    sym = np.repeat(np.arange(n_sym, dtype=np.int64), counts)
    t = np.sort((sym << 47) | times_of_day(rng, n_events))  # times < 2^47 ns
    t &= (1 << 47) - 1
    first = np.repeat(np.cumsum(counts) - counts, counts)
    trade_id = np.arange(n_events) - first + 1
    del first

    off = rng.random(n_events) < OFF_EXCHANGE_SHARE
    exchange = np.where(off, len(EXCHANGES), rng.choice(len(EXCHANGES), n_events, p=EXCHANGE_SHARE))
    trf = np.where(off, rng.choice(len(TRFS), n_events, p=TRF_SHARE), len(TRFS) - 1)
    extended = (t < 9 * HOUR + 30 * MINUTE) | (t >= 16 * HOUR)
    condition = np.where(extended, rng.choice(len(CONDITIONS), n_events, p=EXTENDED_SHARE),
                         rng.choice(len(CONDITIONS), n_events, p=SESSION_SHARE))
    size = sizes(rng, n_events)

    # Prices: a level per symbol, a slow wave and a drift over the day, a little noise.
    level = np.exp(rng.normal(3.4, 1.1, n_sym)).clip(1.5, 950.0)
    wave = rng.uniform(0.0, 0.02, n_sym)
    phase = rng.uniform(0.0, 2 * np.pi, n_sym)
    drift = rng.normal(0.0, 0.015, n_sym)
    frac = (t - 4 * HOUR) / (16 * HOUR)
    price = level[sym] * np.exp(wave[sym] * np.sin(2 * np.pi * frac + phase[sym]) + drift[sym] * (frac - 0.5)
                                + rng.normal(0.0, 0.0004, n_events))
    del frac
    grid = np.where(off, rng.choice([100, 50, 1], n_events, p=[0.72, 0.18, 0.10]), 100)
    price_e4 = np.maximum(np.round(price * 10_000 / grid).astype(np.int64) * grid, 10_000)
    del price, grid

    # Correction and cancel pairs: the event's row twice, adjacent, at the same time.
    paired = rng.choice(n_events, n_corr + n_cancel, replace=False)
    repeat = np.ones(n_events, dtype=np.int64)
    repeat[paired] = 2
    code_first = np.zeros(n_events, dtype=np.int8)
    code_first[paired[:n_corr]] = 1    # 01 then 12
    code_first[paired[n_corr:]] = 8    # 08 then 10
    rows = np.repeat(np.arange(n_events), repeat)
    second = np.zeros(n_rows, dtype=bool)
    second[1:] = rows[1:] == rows[:-1]
    code = code_first[rows].copy()
    code[second & (code == 1)] = 12
    code[second & (code == 8)] = 10
    price_rows = price_e4[rows]
    # The 01 row holds the corrected price: a cent away from the original's (the 12 row's).
    fix = (code == 1)
    price_rows[fix] = np.maximum(price_rows[fix] + rng.choice([-100, 100], fix.sum()), 10_000)
    # TR_SEQNUM: rank in time order over the tape (ties in file order), from 1,001.
    by_time = np.argsort(t[rows], kind="stable")
    seq = np.empty(n_rows, dtype=np.int64)
    seq[by_time] = np.arange(1_001, 1_001 + n_rows)
    del by_time

    # The CSV, in chunks.
    root_arr = pa.array(roots, pa.string())
    suffix_arr = pa.array([s or None for s in suffixes], pa.string())
    source_arr = pa.array(np.where(rng.random(n_sym) < 0.45, "C", "N").tolist(), pa.string())
    exchange_arr = pa.array(EXCHANGES + ["D"], pa.string())
    trf_arr = pa.array(TRFS, pa.string())
    condition_arr = pa.array(CONDITIONS, pa.string())
    code_arr = pa.array(["00", "01", None, None, None, None, None, None, "08", None, "10", None, "12"],
                        pa.string())
    schema = pa.schema([(name, pa.string()) for name in HEADER])
    path = os.path.join(args.out_dir, f"taq_trades_{DATE}.csv")
    # Arrow quotes the header whatever the quoting style: write it as TAQ does, unquoted.
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=CHUNK)
    with open(path, "wb") as out, pacsv.CSVWriter(out, schema, write_options=options) as writer:
        out.write((",".join(HEADER) + "\n").encode())
        for start in range(0, n_rows, CHUNK):
            r = rows[start:start + CHUNK]
            n = len(r)
            s = pa.array(sym[r])
            null_text = pa.nulls(n, pa.string())
            batch = pa.RecordBatch.from_arrays([
                pa.repeat(pa.scalar(DATE, pa.string()), n),
                time_text(t[r]),
                exchange_arr.take(pa.array(exchange[r])),
                root_arr.take(s),
                suffix_arr.take(s),
                condition_arr.take(pa.array(condition[r])),
                pc.cast(pa.array(size[r]), pa.string()),
                price_text(price_rows[start:start + n]),
                null_text,
                code_arr.take(pa.array(code[start:start + n].astype(np.int64))),
                pc.cast(pa.array(seq[start:start + n]), pa.string()),
                pc.cast(pa.array(trade_id[r]), pa.string()),
                source_arr.take(s),
                trf_arr.take(pa.array(trf[r])),
            ], schema=schema)
            writer.write_batch(batch)
            if start // CHUNK % 5 == 4:
                print(f"  {start + n:,} rows, {time.perf_counter() - started:.1f} s", file=sys.stderr)

    # FINRA's consolidated short-volume file: TotalVolume = the off-exchange volume that stands.
    stands = (code == 0) | (code == 1)
    off_rows = off[rows] & stands
    dark = np.bincount(sym[rows][off_rows], weights=size[rows][off_rows], minlength=n_sym)
    total = np.maximum(np.round(dark), 100).astype(np.int64)
    short = np.round(total * rng.uniform(0.40, 0.60, n_sym)).astype(np.int64)
    exempt = np.round(short * rng.uniform(0.0, 0.02, n_sym)).astype(np.int64)
    cnms = os.path.join(args.out_dir, f"CNMSshvol{DATE.replace('-', '')}.txt")
    with open(cnms, "w") as f:
        f.write("Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n")
        # FINRA writes a class as BRK/A where the tape's symbol is BRK.A.
        names = [r + ("/" + x if x else "") for r, x in zip(roots, suffixes)]
        for i in np.argsort(np.array(names, dtype=object), kind="stable"):
            f.write(f"{DATE.replace('-', '')}|{names[i]}|{short[i]}|{exempt[i]}|{total[i]}|B,Q,N\n")

    landed = int(stands.sum())
    print(f"{n_rows:,} rows ({landed:,} stand: {n_corr:,} corrections, {n_cancel:,} cancels) over {n_sym:,} "
          f"symbols in {path} ({os.path.getsize(path) / 2**20:,.0f} MiB) and {cnms}, "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
