#!/usr/bin/env python3
"""Generates a deterministic synthetic lake for the DIX benchmark, in whalewatch's own layout.

10 years of trading days (2,520) x 10,000 symbols of FINRA-style consolidated short volume
(~25 M rows, short_volume/date=D/CNMS.parquet), daily bars for every symbol
(bars/date=D/1d.parquet) and a 500-symbol basket `bench500` (baskets/bench500.parquet).
The column types are exactly those whalewatch writes (see `whalewatch describe TABLE`), each
file sorted by symbol, Snappy-compressed, with a dictionary for every column but mostly-distinct
strings, as the lake writer does.

    python3 benches/generate_lake.py /tmp/whalewatch-bench-lake [--days 2520] [--symbols 10000]
"""
import argparse
import datetime as dt
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="UTC")
SHORT_VOLUME = pa.schema([
    pa.field("symbol", pa.string(), False),
    pa.field("facility", pa.string(), False),
    pa.field("short_volume", pa.float64(), False),
    pa.field("short_exempt_volume", pa.float64(), True),
    pa.field("total_volume", pa.float64(), False),
    pa.field("market", pa.string(), True),
    pa.field("source", pa.string(), False),
    pa.field("source_line", pa.int64(), True),
    pa.field("ingested_at", TS, False),
])
BARS = pa.schema([
    pa.field("symbol", pa.string(), False),
    pa.field("timeframe", pa.string(), False),
    pa.field("ts", TS, False),
    pa.field("open", pa.float64(), False),
    pa.field("high", pa.float64(), False),
    pa.field("low", pa.float64(), False),
    pa.field("close", pa.float64(), False),
    pa.field("volume", pa.float64(), False),
    pa.field("source", pa.string(), False),
    pa.field("source_line", pa.int64(), True),
    pa.field("ingested_at", TS, False),
])
BASKETS = pa.schema([
    pa.field("basket", pa.string(), False),
    pa.field("symbol", pa.string(), False),
    pa.field("weight", pa.float64(), True),
    pa.field("source", pa.string(), False),
    pa.field("source_line", pa.int64(), True),
    pa.field("ingested_at", TS, False),
])


def dictionary_columns(table):
    """The columns the lake writer dictionary-encodes: all but strings of 1,024+ rows that are
    mostly distinct (here `symbol`, listed once per file)."""
    return [name for name in table.column_names
            if not (pa.types.is_string(table.schema.field(name).type) and table.num_rows >= 1024
                    and len(pa.compute.unique(table[name])) * 2 > table.num_rows)]


def trading_days(count):
    day, days = dt.date(2015, 1, 2), []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def symbol_names(count):
    # Sorted, as every lake file is sorted by symbol.
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = set()
    i = 0
    while len(names) < count:
        n, name = i, ""
        for _ in range(4):
            name = letters[n % 26] + name
            n //= 26
        names.add(name)
        i += 7919  # a prime stride spreads the names over the alphabet
    return sorted(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake")
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--symbols", type=int, default=10000)
    parser.add_argument("--basket", type=int, default=500)
    args = parser.parse_args()

    rng = np.random.default_rng(20261124)
    symbols = symbol_names(args.symbols)
    symbol_array = pa.array(symbols, pa.string())
    n = len(symbols)
    ingested_at = pa.array(np.full(n, 1_700_000_000_000_000, dtype=np.int64), pa.int64()).cast(TS)
    base_volume = rng.lognormal(13.0, 1.5, n)
    price = rng.lognormal(3.5, 0.8, n)
    days = trading_days(args.days)
    for i, day in enumerate(days):
        total = np.floor(base_volume * rng.lognormal(0.0, 0.4, n)) + 100
        short_share = np.clip(rng.normal(0.45, 0.08, n), 0.05, 0.95)
        short = np.floor(total * short_share)
        exempt = np.floor(short * 0.01)
        source = f"synthetic://finra/CNMSshvol{day:%Y%m%d}.txt"
        table = pa.Table.from_arrays([
            symbol_array,
            pa.array(["CNMS"] * n, pa.string()),
            pa.array(short), pa.array(exempt), pa.array(total),
            pa.array(["B,Q,N"] * n, pa.string()),
            pa.array([source] * n, pa.string()),
            pa.array(np.arange(2, n + 2, dtype=np.int64)),
            ingested_at,
        ], schema=SHORT_VOLUME)
        directory = os.path.join(args.lake, "short_volume", f"date={day:%Y-%m-%d}")
        os.makedirs(directory, exist_ok=True)
        pq.write_table(table, os.path.join(directory, "CNMS.parquet"), compression="snappy",
                       use_dictionary=dictionary_columns(table))

        price = price * np.exp(rng.normal(0.0003, 0.02, n))
        close = np.round(price, 2)
        open_ = np.round(close * np.exp(rng.normal(0, 0.005, n)), 2)
        high = np.maximum(open_, close) * 1.01
        low = np.minimum(open_, close) * 0.99
        midnight = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
        bars = pa.Table.from_arrays([
            symbol_array,
            pa.array(["1d"] * n, pa.string()),
            pa.array(np.full(n, midnight, dtype=np.int64)).cast(TS),
            pa.array(open_), pa.array(high), pa.array(low), pa.array(close), pa.array(total),
            pa.array(["synthetic://bars"] * n, pa.string()),
            pa.array(np.arange(2, n + 2, dtype=np.int64)),
            ingested_at,
        ], schema=BARS)
        directory = os.path.join(args.lake, "bars", f"date={day:%Y-%m-%d}")
        os.makedirs(directory, exist_ok=True)
        pq.write_table(bars, os.path.join(directory, "1d.parquet"), compression="snappy",
                       use_dictionary=dictionary_columns(bars))
        if i % 250 == 0:
            print(f"{day} ({i + 1}/{len(days)})", file=sys.stderr)

    members = sorted(rng.choice(symbols, size=args.basket, replace=False).tolist())
    basket = pa.Table.from_arrays([
        pa.array(["bench500"] * len(members), pa.string()),
        pa.array(members, pa.string()),
        pa.array([None] * len(members), pa.float64()),
        pa.array(["synthetic://baskets"] * len(members), pa.string()),
        pa.array(np.arange(2, len(members) + 2, dtype=np.int64)),
        ingested_at[: len(members)],
    ], schema=BASKETS)
    os.makedirs(os.path.join(args.lake, "baskets"), exist_ok=True)
    pq.write_table(basket, os.path.join(args.lake, "baskets", "bench500.parquet"), compression="snappy")
    print(f"{len(days) * n:,} short-volume rows, {len(days) * n:,} bars, {len(members)}-symbol basket in {args.lake}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
