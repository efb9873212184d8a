#!/usr/bin/env python3
"""Writes an illustrative options tape and chain that are NOT market data.

illustrative_option_trades.csv: CBOE LiveVol time-and-sales layout, IWM and XRT options on
2021-01-27 (expiries 2021-02-19 and 2021-03-19, strikes around the illustrative minute bars'
prices), New York local times. Mostly single prints; among them sweeps (one order over several
exchanges within a few ms), splits (several prints on one exchange), a few blocks, multi-leg
prints (condition MLET), and a run of out-of-the-money XRT calls bought at the ask in volume above
open interest, and a golden sweep ($1M+), so that every flag of options_flow shows on the sample
lake.

illustrative_open_interest.csv: the matching chain (LiveVol end-of-day columns), with open interest.

Prices follow Black-Scholes at an illustrative 35 % volatility from the underlying's price in
illustrative_minute_bars.csv at the print's minute. Deterministic: run it again and the files are
the same.

    python3 data/samples/make_illustrative_option_trades.py
"""
import csv
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAY = "2021-01-27"
EXPIRIES = [date(2021, 2, 19), date(2021, 3, 19)]
VOL, RATE = 0.35, 0.0

minutes = {}
for row in csv.DictReader(open(HERE / "illustrative_minute_bars.csv")):
    stamp = datetime.fromisoformat(row["timestamp"])
    if stamp.date().isoformat() == DAY:
        minutes[(row["symbol"], stamp.hour * 60 + stamp.minute)] = float(row["close"])


def normal_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def price(spot, strike, years, right):
    d1 = (math.log(spot / strike) + (RATE + VOL * VOL / 2) * years) / (VOL * math.sqrt(years))
    d2 = d1 - VOL * math.sqrt(years)
    if right == "C":
        return spot * normal_cdf(d1) - strike * normal_cdf(d2)
    return strike * normal_cdf(-d2) - spot * normal_cdf(-d1)


rng = random.Random(20210127)
header = ["underlying_symbol", "quote_datetime", "sequence_number", "root", "expiration", "strike",
          "option_type", "exchange_id", "trade_size", "trade_price", "trade_condition_id",
          "canceled_trade_condition_id", "best_bid", "best_ask", "underlying_bid", "underlying_ask",
          "number_of_exchanges"]
rows, contracts = [], set()
seq = 0


def add(symbol, minute_of_day, ms, expiry, strike, right, exchange, size, side, condition="0"):
    global seq
    spot = minutes.get((symbol, minute_of_day))
    if spot is None:
        return
    years = ((datetime.combine(expiry, datetime.min.time()) + timedelta(hours=16))
             - datetime.fromisoformat(DAY) - timedelta(minutes=minute_of_day, milliseconds=ms)).total_seconds() / (365 * 86400)
    fair = max(price(spot, strike, years, right), 0.01)
    half = max(0.01, round(fair * 0.02, 2))
    bid, ask = round(max(fair - half, 0.01), 2), round(fair + half, 2)
    fill = {"ask": ask, "bid": bid, "mid": round((bid + ask) / 2, 2)}[side]
    seq += 1
    h, m = divmod(minute_of_day, 60)
    rows.append([symbol, f"{DAY} {h:02d}:{m:02d}:{ms // 1000:02d}.{ms % 1000:03d}", seq, symbol,
                 expiry.isoformat(), f"{strike:.3f}", right, exchange, size, f"{fill:.2f}", condition, 0,
                 f"{bid:.2f}", f"{ask:.2f}", f"{spot - 0.01:.2f}", f"{spot + 0.01:.2f}", 16])
    contracts.add((symbol, expiry, strike, right))


opening = {symbol: minutes[(symbol, 9 * 60 + 30)] for symbol in ("IWM", "XRT")}
for symbol in ("IWM", "XRT"):
    center, step = round(opening[symbol]), 1
    for _ in range(900):
        minute = rng.randrange(9 * 60 + 31, 15 * 60 + 59)
        expiry = rng.choice(EXPIRIES)
        strike = center + step * rng.randrange(-6, 7)
        right = rng.choice("CP")
        kind = rng.random()
        if kind < 0.08:  # a sweep: 2 to 5 exchanges within 30 ms
            for i, exchange in enumerate(rng.sample(range(1, 17), rng.randrange(2, 6))):
                add(symbol, minute, 5000 + 7 * i, expiry, strike, right, exchange, rng.randrange(5, 60), "ask")
        elif kind < 0.12:  # a split: one exchange
            exchange = rng.randrange(1, 17)
            for i in range(rng.randrange(2, 4)):
                add(symbol, minute, 9000 + 11 * i, expiry, strike, right, exchange, rng.randrange(5, 40), "bid")
        elif kind < 0.13:  # a block
            add(symbol, minute, 1000, expiry, strike, right, rng.randrange(1, 17), rng.randrange(1000, 3000), "mid")
        elif kind < 0.15:  # a leg of a spread
            add(symbol, minute, 2000, expiry, strike, right, rng.randrange(1, 17), rng.randrange(10, 200), "mid", "MLET")
        else:
            add(symbol, minute, rng.randrange(0, 59999), expiry, strike, right, rng.randrange(1, 17),
                rng.randrange(1, 30), rng.choice(["ask", "bid", "mid"]))
# Someone buys out-of-the-money XRT calls at the ask all afternoon, past the open interest.
unusual_strike = round(opening["XRT"]) + 8
for i in range(12):
    add("XRT", 13 * 60 + 10 * i, 30000, EXPIRIES[0], unusual_strike, "C", rng.randrange(1, 17), 300, "ask")
# A golden sweep: in-the-money IWM calls, 300 on each of 5 exchanges within 20 ms ($1M+ together).
for i, exchange in enumerate([3, 7, 9, 11, 14]):
    add("IWM", 14 * 60 + 45, 12000 + 5 * i, EXPIRIES[1], round(opening["IWM"]) - 10, "C", exchange, 300, "ask")

rows.sort(key=lambda r: (r[1], r[2]))
with open(HERE / "illustrative_option_trades.csv", "w", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)

with open(HERE / "illustrative_open_interest.csv", "w", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type",
                     "trade_volume", "underlying_bid_eod", "underlying_ask_eod", "open_interest"])
    for symbol, expiry, strike, right in sorted(contracts):
        unusual = (symbol, expiry, strike, right) == ("XRT", EXPIRIES[0], unusual_strike, "C")
        oi = 800 if unusual else rng.randrange(0, 20000)
        writer.writerow([symbol, DAY, symbol, expiry.isoformat(), f"{strike:.3f}", right, "", "", "", oi])
print(len(rows), "prints,", len(contracts), "contracts")
