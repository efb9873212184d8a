#!/usr/bin/env python3
"""Generates 1-minute bars for the money-flow benchmark, in whalewatch's lake layout.

3,000 symbols x 390 session minutes x 63 trading days (~74 M rows) from 2026-01-05, one file per
New York trading date (bars/date=D/1m.parquet), sorted by (symbol, ts), Snappy, a dictionary for
every column but mostly-distinct strings, 1 Mi-row row groups: what `whalewatch ingest bars`
writes. Prices are random walks on a 1-cent grid (so equal closes and typical prices occur),
1 % of bars are flat (high = low) and 1 % traded nothing. Deterministic.

    python3 benches/generate_minute_bars.py /tmp/whalewatch-minute-lake [--symbols 3000] [--days 63]
"""
import argparse
import datetime as dt
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_lake import BARS, TS, dictionary_columns, symbol_names  # noqa: E402

MINUTES = 390


def trading_days(count):
    day, days = dt.date(2026, 1, 5), []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake")
    parser.add_argument("--symbols", type=int, default=3000)
    parser.add_argument("--days", type=int, default=63)
    args = parser.parse_args()

    rng = np.random.default_rng(20261124)
    symbols = symbol_names(args.symbols)
    n = len(symbols)
    rows = n * MINUTES
    symbol_column = pa.array(np.repeat(np.array(symbols, dtype=object), MINUTES), pa.string())
    ingested_at = pa.array(np.full(rows, 1_700_000_000_000_000, dtype=np.int64)).cast(TS)
    line = pa.array(np.arange(2, rows + 2, dtype=np.int64))
    price = rng.lognormal(3.5, 0.8, n)
    base_volume = rng.lognormal(8.0, 1.0, n)
    for i, day in enumerate(trading_days(args.days)):
        # The session opens at 09:30 New York time; UTC offset from the zone database's rule.
        offset = 4 if dt.date(day.year, 3, 8) <= day < dt.date(day.year, 11, 1) else 5
        open_utc = int(dt.datetime(day.year, day.month, day.day, 9 + offset, 30, tzinfo=dt.timezone.utc).timestamp())
        ts = (open_utc + 60 * np.tile(np.arange(MINUTES, dtype=np.int64), n)) * 1_000_000
        steps = rng.normal(0.0, 0.0012, (n, MINUTES))
        path = price[:, None] * np.exp(np.cumsum(steps, axis=1))
        close = np.round(path, 2)
        open_ = np.round(np.concatenate([price[:, None], path[:, :-1]], axis=1), 2)
        wiggle = np.abs(rng.normal(0.0, 0.0008, (n, MINUTES, 2))) * path[:, :, None]
        high = np.round(np.maximum(open_, close) + wiggle[:, :, 0], 2)
        low = np.round(np.minimum(open_, close) - wiggle[:, :, 1], 2)
        flat = rng.random((n, MINUTES)) < 0.01
        high = np.where(flat, close, high)
        low = np.where(flat, close, low)
        open_ = np.where(flat, close, open_)
        volume = np.floor(base_volume[:, None] * rng.lognormal(0.0, 0.6, (n, MINUTES)))
        volume[rng.random((n, MINUTES)) < 0.01] = 0.0
        price = path[:, -1]
        table = pa.Table.from_arrays([
            symbol_column,
            pa.array(["1m"] * rows, pa.string()),
            pa.array(ts).cast(TS),
            pa.array(open_.ravel()), pa.array(high.ravel()), pa.array(low.ravel()),
            pa.array(close.ravel()), pa.array(volume.ravel()),
            pa.array([f"synthetic://bars/{day}"] * rows, pa.string()),
            line,
            ingested_at,
        ], schema=BARS)
        directory = os.path.join(args.lake, "bars", f"date={day:%Y-%m-%d}")
        os.makedirs(directory, exist_ok=True)
        pq.write_table(table, os.path.join(directory, "1m.parquet"), compression="snappy",
                       use_dictionary=dictionary_columns(table), row_group_size=1024 * 1024)
        if i % 10 == 0:
            print(f"{day} ({i + 1}/{args.days})", file=sys.stderr)
    print(f"{args.days * rows:,} 1-minute bars in {args.lake}", file=sys.stderr)


if __name__ == "__main__":
    main()
