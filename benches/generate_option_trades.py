#!/usr/bin/env python3
"""Generates a synthetic options tape for the sweep benchmark, in whalewatch's lake layout.

10 M option trade prints a day (--trades is per trading date) over 400,000 contracts of ~2,000
underlyings (several expiries and strikes each, calls and puts), one file per New York trading date
from 2026-03-02, weekdays (option_trades/date=D/bench.parquet), in the column types whalewatch
writes for `option_trades` (see `whalewatch describe option_trades`; the partition column `date` is
in the path only). Each file is sorted by (contract, ts, seq), Snappy, 1 Mi-row row groups, with a
dictionary for every column but mostly-distinct strings, as the lake writer does. Deterministic.

The tape: contracts drawn from a Zipf law (exponent 0.85) over a popularity ranking that favours
large underlyings, near expiries and strikes near the money; prints in the 09:30-16:00 New York
session (denser at the open and close). About 30 % of the prints come in bursts of 2-8 prints of one
contract within 0-40 ms: sweeps (each print on a different exchange) and splits (all on one
exchange); the rest are isolated prints. 16 exchanges with unequal shares; sizes heavy-tailed
(median ~3 contracts); prices on a 1-cent grid from a Black-Scholes value, with the NBBO around
them (the price usually inside, sometimes at or outside the quote; ~1 % of quotes missing); `seq`
is the print's rank in time order, unique over the whole lake.

    python3 benches/generate_option_trades.py /tmp/whalewatch-option-lake [--trades 10000000] [--contracts 400000] [--days 1]
"""
import argparse
import datetime as dt
import math
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_lake import TS, dictionary_columns, symbol_names  # noqa: E402

OPTION_TRADES = pa.schema([
    pa.field("underlying", pa.string(), False),
    pa.field("contract", pa.string(), False),
    pa.field("expiry", pa.date32(), False),
    pa.field("right", pa.string(), False),
    pa.field("strike", pa.float64(), False),
    pa.field("ts", TS, False),
    pa.field("seq", pa.int64(), False),
    pa.field("exchange", pa.string(), False),
    pa.field("size", pa.int64(), False),
    pa.field("price", pa.float64(), False),
    pa.field("condition", pa.string(), True),
    pa.field("bid", pa.float64(), True),
    pa.field("ask", pa.float64(), True),
    pa.field("underlying_bid", pa.float64(), True),
    pa.field("underlying_ask", pa.float64(), True),
    pa.field("source", pa.string(), False),
    pa.field("source_line", pa.int64(), True),
    pa.field("ingested_at", TS, False),
])

# 16 OPRA-style participant codes and rough market shares.
EXCHANGES = ["A", "B", "C", "D", "E", "H", "I", "J", "M", "N", "P", "Q", "T", "W", "X", "Z"]
EXCHANGE_SHARE = np.array([6, 4, 12, 4, 7, 4, 8, 2, 7, 6, 6, 8, 3, 3, 11, 9], dtype=float)
EXCHANGE_SHARE /= EXCHANGE_SHARE.sum()
# Trade conditions; the last entry is NULL (no condition on the tape).
CONDITIONS = ["AUTO", "SLAN", "ISOI", "MLET", None]
CONDITION_SHARE = np.array([0.52, 0.33, 0.08, 0.04, 0.03])
SWEEP_CONDITION_SHARE = np.array([0.25, 0.10, 0.60, 0.02, 0.03])  # sweeps are mostly ISO orders

SESSION_US = 390 * 60 * 1_000_000  # 09:30-16:00
BURST_SHARE = 0.30                 # of prints
BURST_MAX_US = 40_000              # a burst lasts 0-40 ms
SWEEP_SHARE = 0.60                 # of bursts; the others are splits on one exchange
ZIPF = 0.85


def trading_days(count):
    day, days = dt.date(2026, 3, 2), []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def expiry_dates(after):
    """Listed expiries on or after `after`: 8 weekly Fridays, the monthly third Fridays of the next
    12 months and two January LEAPS."""
    friday = after + dt.timedelta(days=(4 - after.weekday()) % 7)
    dates = {friday + dt.timedelta(weeks=w) for w in range(8)}

    def third_friday(year, month):
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)

    for m in range(13):
        year, month = after.year + (after.month - 1 + m) // 12, (after.month - 1 + m) % 12 + 1
        if third_friday(year, month) >= after:
            dates.add(third_friday(year, month))
    dates.update(third_friday(after.year + y, 1) for y in (1, 2))
    return sorted(dates)


def normal_cdf(x):
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)).astype(np.float64))


def make_contracts(rng, count, last_day):
    """The listed contracts, sorted by OSI symbol: (table of per-contract columns, numpy fields)."""
    underlyings = symbol_names(max(2, min(2000, count // 20)))
    n_under = len(underlyings)
    expiries = expiry_dates(last_day)
    # Contracts per underlying: lognormal, at least 2, summing to `count`.
    weight = rng.lognormal(0.0, 1.0, n_under)
    share = weight / weight.sum() * count
    per = np.maximum(2, np.floor(share).astype(np.int64))
    excess = per.sum() - count
    order = np.argsort(-(share - np.floor(share)))
    if excess < 0:
        per[order[: -excess]] += 1
    else:
        while excess > 0:  # take back from the largest ones
            big = np.argsort(-per)[: excess]
            big = big[per[big] > 2]
            per[big] -= 1
            excess -= len(big)
    spot = rng.lognormal(4.0, 0.9, n_under)
    vol = rng.uniform(0.18, 0.9, n_under)
    expiry_days = np.array([(e - dt.date(1970, 1, 1)).days for e in expiries])
    # Near expiries are listed (and traded) more.
    expiry_weight = 1.0 / (1.0 + np.arange(len(expiries)))

    cols = {k: [] for k in ("under", "expiry", "call", "strike")}
    for u, n in enumerate(per):
        n_exp = int(np.clip(round(math.sqrt(n) / 2), 2, len(expiries)))
        chosen = np.sort(rng.choice(len(expiries), n_exp, replace=False, p=expiry_weight / expiry_weight.sum()))
        n_strikes = -(-n // (2 * n_exp))
        s = spot[u]
        step = 0.5 if s < 25 else 1.0 if s < 100 else 2.5 if s < 250 else 5.0
        k = np.round(s / step) + np.arange(n_strikes) - n_strikes // 2
        k = k - min(0.0, k.min() - 1)  # strikes > 0
        strikes = k * step
        combos = rng.choice(n_exp * n_strikes * 2, n, replace=False)
        cols["under"].append(np.full(n, u))
        cols["expiry"].append(expiry_days[chosen][combos // (n_strikes * 2)])
        cols["strike"].append(strikes[(combos // 2) % n_strikes])
        cols["call"].append(combos % 2 == 0)
    under = np.concatenate(cols["under"])
    expiry = np.concatenate(cols["expiry"])
    strike = np.concatenate(cols["strike"])
    call = np.concatenate(cols["call"])
    epoch = dt.date(1970, 1, 1)
    names = [f"{underlyings[u]}{epoch + dt.timedelta(days=int(e)):%y%m%d}{'C' if c else 'P'}{round(k * 1000):08d}"
             for u, e, c, k in zip(under.tolist(), expiry.tolist(), call.tolist(), strike.tolist())]
    assert len(set(names)) == len(names)
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    under, expiry, strike, call = under[order], expiry[order], strike[order], call[order]
    names = [names[i] for i in order]

    # Popularity: big underlyings, near expiries and near-the-money strikes trade most; Zipf by rank.
    days_left = expiry - (last_day - epoch).days
    score = (np.log(per[under]) - np.abs(np.log(strike / spot[under])) / 0.08 - days_left / 40.0
             + rng.gumbel(0.0, 1.5, len(names)))
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(-score)] = np.arange(len(names))
    popularity = 1.0 / (rank + 1.0) ** ZIPF
    popularity /= popularity.sum()

    table = {
        "underlying": pa.array(underlyings, pa.string()).take(pa.array(under)),
        "contract": pa.array(names, pa.string()),
        "expiry": pa.array(expiry.astype(np.int32), pa.int32()).cast(pa.date32()),
        "right": pa.array(np.where(call, "C", "P").tolist(), pa.string()),
        "strike": pa.array(strike),
    }
    fields = {"under": under, "expiry": expiry, "strike": strike, "call": call, "spot": spot, "vol": vol,
              "popularity": popularity}
    return table, fields


def option_value(fields, day):
    """Black-Scholes value (r = 0) of every contract on `day`, half-way through the session."""
    s = fields["spot"][fields["under"]]
    k = fields["strike"]
    t = np.maximum(fields["expiry"] - (day - dt.date(1970, 1, 1)).days + 0.25, 0.25) / 365.0
    sigma = fields["vol"][fields["under"]] * np.sqrt(t)
    d1 = (np.log(s / k) + 0.5 * sigma ** 2) / sigma
    d2 = d1 - sigma
    call = s * normal_cdf(d1) - k * normal_cdf(d2)
    put = call - s + k
    return np.maximum(np.where(fields["call"], call, put), 0.0)


def day_tape(rng, n, fields, day, seq_base):
    """One day's prints, sorted by (contract, ts, seq), as a dict of numpy arrays."""
    n_contracts = len(fields["under"])
    # Bursts of 2-8 prints until they hold ~30 % of the prints; the rest are isolated prints.
    burst_size = rng.integers(2, 9, int(n * BURST_SHARE / 5 * 1.2) + 1)
    burst_size = burst_size[np.cumsum(burst_size) <= int(n * BURST_SHARE)]
    n_single = n - int(burst_size.sum())
    sizes = np.concatenate([burst_size, np.ones(n_single, dtype=np.int64)])
    events = len(sizes)
    kind = np.zeros(events, dtype=np.int8)  # 0 isolated, 1 sweep, 2 split
    kind[: len(burst_size)] = np.where(rng.random(len(burst_size)) < SWEEP_SHARE, 1, 2)
    contract = rng.choice(n_contracts, events, p=fields["popularity"])
    # Session time: U-shaped (busier at the open and the close).
    start = np.floor(rng.beta(0.75, 0.75, events) * (SESSION_US - BURST_MAX_US)).astype(np.int64)
    duration = np.where(rng.random(events) < 0.1, 0, rng.integers(0, BURST_MAX_US + 1, events))
    exchange_event = rng.choice(len(EXCHANGES), events, p=EXCHANGE_SHARE)

    # Expand the events to prints.
    event = np.repeat(np.arange(events), sizes)
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    pos = np.arange(n) - first
    offset = np.floor(rng.random(n) * (duration[event] + 1)).astype(np.int64)
    offset[pos == 0] = 0
    offset_utc = 4 if dt.date(day.year, 3, 8) <= day < dt.date(day.year, 11, 1) else 5
    open_us = int(dt.datetime(day.year, day.month, day.day, 9 + offset_utc, 30,
                              tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
    ts = open_us + start[event] + offset
    exchange = exchange_event[event]
    # Sweeps: each print of the burst on a different exchange (weighted sampling without
    # replacement: the burst's top-k exchanges by log share + Gumbel noise).
    sweeps = np.flatnonzero(kind == 1)
    keys = np.log(EXCHANGE_SHARE)[None, :] + rng.gumbel(size=(len(sweeps), len(EXCHANGES)))
    ranked = np.argsort(-keys, axis=1)
    slot = np.full(events, -1)
    slot[sweeps] = np.arange(len(sweeps))
    in_sweep = kind[event] == 1
    exchange[in_sweep] = ranked[slot[event[in_sweep]], pos[in_sweep]]

    c = contract[event]
    # Sizes: heavy-tailed, larger in bursts.
    size = np.maximum(1, np.round(rng.lognormal(1.0, 1.3, n) * np.where(kind[event] > 0, 2.0, 1.0)))
    size = np.minimum(size, 20_000).astype(np.int64)
    # Prices in cents: the contract's value moving a little over the day, the NBBO around it.
    frac = (ts - open_us) / SESSION_US
    value = option_value(fields, day)
    drift = rng.normal(0.0, 0.05, n_contracts)
    mid = np.maximum(value[c] * 100.0 * (1.0 + drift[c] * (frac - 0.5)) * np.exp(rng.normal(0.0, 0.01, n)), 1.0)
    spread = np.maximum(1, np.round(mid * rng.uniform(0.01, 0.08, n))).astype(np.int64)
    bid = np.maximum(0, np.round(mid - spread / 2)).astype(np.int64)
    ask = bid + spread
    where = rng.random(n)
    inside = bid + np.floor(rng.random(n) * (spread + 1)).astype(np.int64)
    outside = rng.integers(1, 4, n)
    price = np.where(where < 0.80, inside,
                     np.where(where < 0.90, ask,
                              np.where(where < 0.95, bid,
                                       np.where(where < 0.975, ask + outside, bid - outside))))
    price = np.maximum(price, 1)
    spot = fields["spot"][fields["under"][c]] * np.exp(rng.normal(0.0, 0.003, n))
    under_bid = np.round(spot * 100)
    under_ask = under_bid + rng.integers(1, 6, n)
    condition = np.where(in_sweep,
                         rng.choice(len(CONDITIONS), n, p=SWEEP_CONDITION_SHARE),
                         rng.choice(len(CONDITIONS), n, p=CONDITION_SHARE))

    # seq: the print's rank in time order (ties in ts broken at random), unique over the lake.
    by_time = np.lexsort((rng.random(n), ts))
    rank = np.empty(n, dtype=np.int64)
    rank[by_time] = np.arange(n)
    seq = seq_base + rank + 1
    order = np.lexsort((seq, c))  # seq follows ts, so this is (contract, ts, seq)
    quote_missing = rng.random(n) < 0.01
    under_missing = rng.random(n) < 0.02
    return {
        "contract": c[order], "ts": ts[order], "seq": seq[order], "exchange": exchange[order],
        "size": size[order], "price": price[order] / 100.0, "condition": condition[order],
        "bid": bid[order] / 100.0, "ask": ask[order] / 100.0, "quote_missing": quote_missing,
        "underlying_bid": under_bid[order] / 100.0, "underlying_ask": under_ask[order] / 100.0,
        "underlying_missing": under_missing, "source_line": rank[order] + 2,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake")
    parser.add_argument("--trades", type=int, default=10_000_000, help="prints per trading date")
    parser.add_argument("--contracts", type=int, default=400_000)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = np.random.default_rng(20261124)
    days = trading_days(args.days)
    static, fields = make_contracts(rng, args.contracts, days[-1])
    print(f"{args.contracts:,} contracts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    n = args.trades
    ingested_at = pa.array(np.full(n, 1_700_000_000_000_000, dtype=np.int64)).cast(TS)
    exchanges = pa.array(EXCHANGES, pa.string())
    conditions = pa.array(CONDITIONS, pa.string())
    seq_base = 0
    for i, day in enumerate(days):
        tape = day_tape(rng, n, fields, day, seq_base)
        seq_base += n
        contract = pa.array(tape["contract"])

        def nullable(values, missing):
            return pa.array(values, mask=missing)

        table = pa.Table.from_arrays([
            static["underlying"].take(contract),
            static["contract"].take(contract),
            static["expiry"].take(contract),
            static["right"].take(contract),
            static["strike"].take(contract),
            pa.array(tape["ts"]).cast(TS),
            pa.array(tape["seq"]),
            exchanges.take(pa.array(tape["exchange"])),
            pa.array(tape["size"]),
            pa.array(tape["price"]),
            conditions.take(pa.array(tape["condition"])),
            nullable(tape["bid"], tape["quote_missing"]),
            nullable(tape["ask"], tape["quote_missing"]),
            nullable(tape["underlying_bid"], tape["underlying_missing"]),
            nullable(tape["underlying_ask"], tape["underlying_missing"]),
            pa.array(["bench"], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64))),
            pa.array(tape["source_line"]),
            ingested_at,
        ], schema=OPTION_TRADES)
        del tape
        directory = os.path.join(args.lake, "option_trades", f"date={day:%Y-%m-%d}")
        os.makedirs(directory, exist_ok=True)
        pq.write_table(table, os.path.join(directory, "bench.parquet"), compression="snappy",
                       use_dictionary=dictionary_columns(table), row_group_size=1024 * 1024)
        print(f"{day} ({i + 1}/{args.days}) {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(f"{args.days * n:,} option prints over {args.contracts:,} contracts in {args.lake} "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
