#!/usr/bin/env python3
"""Writes illustrative_minute_bars.csv: 1-minute bars that are NOT market data.

For IWM, VTI and XRT on 2021-01-25 to 2021-01-29 each day's minutes walk from the day's open to its
close in illustrative_daily_bars.csv (a Brownian bridge kept inside the day's low and high), with the
day's volume spread in the usual U shape. A few pre-market and after-hours bars are added, as vendors
send them, to show that the session functions leave them out. Deterministic: run it again and the
file is the same.

    python3 data/samples/make_illustrative_minute_bars.py
"""
import csv
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
EST = timezone(timedelta(hours=-5))  # January: New York is on standard time
DAYS = ["2021-01-25", "2021-01-26", "2021-01-27", "2021-01-28", "2021-01-29"]

daily = {(r["date"], r["symbol"]): r for r in csv.DictReader(open(HERE / "illustrative_daily_bars.csv"))}
rng = random.Random(20210125)
out = open(HERE / "illustrative_minute_bars.csv", "w", newline="")
writer = csv.writer(out, lineterminator="\n")
writer.writerow(["symbol", "timestamp", "open", "high", "low", "close", "volume"])
for symbol in ["IWM", "VTI", "XRT"]:
    for day in DAYS:
        bar = daily[(day, symbol)]
        o, h, l, c, v = (float(bar[k]) for k in ("open", "high", "low", "close", "volume"))
        n = 390
        # Brownian bridge from open to close.
        steps = [rng.gauss(0, 1) for _ in range(n)]
        walk, s = [], 0.0
        for x in steps:
            s += x
            walk.append(s)
        scale = (h - l) / 6
        path = [o + (c - o) * (i + 1) / n + scale * (walk[i] - walk[-1] * (i + 1) / n) / math.sqrt(n) * 2
                for i in range(n)]
        path = [min(h, max(l, p)) for p in path]
        path[-1] = c
        weights = [1 + 3 * ((i - n / 2) / (n / 2)) ** 2 for i in range(n)]
        total = sum(weights)
        start = datetime.fromisoformat(day + "T09:30:00").replace(tzinfo=EST)
        previous = o
        minutes = []
        for i in range(n):
            close = round(path[i], 2)
            high = round(min(h, max(previous, close) + abs(rng.gauss(0, scale / 40))), 2)
            low = round(max(l, min(previous, close) - abs(rng.gauss(0, scale / 40))), 2)
            open_ = round(previous, 2)
            high, low = max(high, open_, close), min(low, open_, close)
            volume = int(v * weights[i] / total)
            minutes.append((start + timedelta(minutes=i), open_, high, low, close, volume))
            previous = close
        # Two pre-market and two after-hours bars (outside the session: the functions skip them).
        for offset in (-60, -5, 400, 600):
            p = round(o if offset < 0 else c, 2)
            minutes.append((start + timedelta(minutes=offset), p, p, p, p, 1000))
        for ts, *values in sorted(minutes):
            writer.writerow([symbol, ts.strftime("%Y-%m-%dT%H:%M:%S.000%z"),
                             *(f"{x:.2f}" for x in values[:4]), values[4]])
out.close()
