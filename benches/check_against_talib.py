#!/usr/bin/env python3
"""Cross-checks ad_line, obv, mfi and chaikin_osc against TA-Lib on 100,000 random 1-minute bars
(20 symbols x 5,000), through the real path: CSV -> `whalewatch ingest bars` -> lake -> SQL -> Parquet.
The bars include flat bars (high = low), zero volume and repeated prices.

    pip install ta-lib numpy pyarrow
    cargo build --release
    python3 benches/check_against_talib.py

Known, documented differences, counted rather than hidden: TA-Lib's OBV starts at the first bar's
volume where StockCharts (and whalewatch) start at 0, so TA-Lib's OBV minus that volume is compared;
TA-Lib's MFI is 0 when the n flows sum to less than 1, whalewatch's is NULL when they sum to 0.
"""
import datetime as dt
import os
import subprocess
import sys
import tempfile

import numpy as np
import pyarrow.parquet as pq
import talib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("WHALEWATCH_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "whalewatch")
SYMBOLS, BARS = 20, 5000


def main():
    rng = np.random.default_rng(7)
    work = tempfile.mkdtemp(prefix="whalewatch-talib-")
    csv_path = os.path.join(work, "bars.csv")
    start = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    inputs = {}
    with open(csv_path, "w") as out:
        out.write("symbol,ts,open,high,low,close,volume\n")
        for s in range(SYMBOLS):
            symbol = f"S{s:02d}"
            close = np.maximum(np.round(50 * np.exp(np.cumsum(rng.normal(0, 0.002, BARS))), 2), 1.0)
            high = np.round(close + np.abs(rng.normal(0, 0.05, BARS)), 2)
            low = np.round(np.maximum(close - np.abs(rng.normal(0, 0.05, BARS)), 0.5), 2)
            flat = rng.random(BARS) < 0.02
            high[flat], low[flat] = close[flat], close[flat]
            volume = np.floor(rng.lognormal(8, 1, BARS))
            volume[rng.random(BARS) < 0.02] = 0
            inputs[symbol] = (high, low, close, volume)
            for i in range(BARS):
                ts = (start + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
                out.write(f"{symbol},{ts},{close[i]},{high[i]},{low[i]},{close[i]},{volume[i]:.0f}\n")
    lake = os.path.join(work, "lake")
    subprocess.run([BINARY, "--lake", lake, "ingest", "bars", "--timeframe", "1m", "--file", csv_path],
                   check=True, capture_output=True)
    result = os.path.join(work, "out.parquet")
    subprocess.run([BINARY, "--lake", lake, "sql", "--format", "parquet", "--output", result,
                    "SELECT symbol, ts, ad_line(high, low, close, volume) OVER w AS ad, "
                    "obv(close, volume) OVER w AS obv, mfi(high, low, close, volume) OVER w AS mfi, "
                    "chaikin_osc(high, low, close, volume) OVER w AS osc FROM bars "
                    "WINDOW w AS (PARTITION BY symbol ORDER BY ts) ORDER BY symbol, ts"],
                   check=True, capture_output=True)
    ours = pq.read_table(result).to_pydict()
    compared = {"ad": 0, "obv": 0, "mfi": 0, "osc": 0}
    mfi_zero_flow = 0
    failures = 0
    for s, symbol in enumerate(sorted(inputs)):
        high, low, close, volume = inputs[symbol]
        rows = slice(s * BARS, (s + 1) * BARS)
        assert all(x == symbol for x in ours["symbol"][rows])
        theirs = {
            "ad": talib.AD(high, low, close, volume),
            "obv": talib.OBV(close, volume) - volume[0],
            "mfi": talib.MFI(high, low, close, volume, timeperiod=14),
            "osc": talib.ADOSC(high, low, close, volume, fastperiod=3, slowperiod=10),
        }
        for name, expected in theirs.items():
            got = np.array([np.nan if x is None else x for x in ours[name][rows]], dtype=float)
            both = ~np.isnan(got) & ~np.isnan(expected)
            if name == "mfi":
                # TA-Lib's 0 where the flows sum to nothing is whalewatch's NULL.
                zero_flow = np.isnan(got) & (expected == 0)
                mfi_zero_flow += int(zero_flow.sum())
                mismatched_nulls = (np.isnan(got) != np.isnan(expected)) & ~zero_flow
            else:
                mismatched_nulls = np.isnan(got) != np.isnan(expected)
            scale = np.maximum(np.abs(expected[both]), 1.0)
            worst = np.max(np.abs(got[both] - expected[both]) / scale) if both.any() else 0.0
            if mismatched_nulls.any() or worst > 1e-9:
                failures += 1
                print(f"{symbol} {name}: {int(mismatched_nulls.sum())} NULL mismatches, worst {worst:.2e}")
            compared[name] += int(both.sum())
    print(f"{SYMBOLS * BARS:,} bars; values compared with TA-Lib {talib.__version__} (relative 1e-9): "
          + ", ".join(f"{k} {v:,}" for k, v in compared.items())
          + f"; MFI NULL where TA-Lib says 0 (no money flow): {mfi_zero_flow}")
    print("ok" if failures == 0 else f"{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
