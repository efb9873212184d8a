#!/usr/bin/env python3
"""Writes data/samples/illustrative_taq_trades_2021-08-02.csv: an ILLUSTRATIVE equity tape (not
market data) in the NYSE TAQ CSV layout for three symbols of the real FINRA CNMS excerpt of
2021-08-02 (AAL, RDS A, TSLA), so that dark_pool_trades and its query files have prints to show
and a real DIX to join. Deterministic (seeded); run from the repository root."""
import random

random.seed(20210802)
SYMBOLS = [  # root, suffix, listing tape source (C = CTA, N = UTP), start price, prints
    ("AAL", "", "N", 20.40, 700),
    ("RDS", "A", "C", 40.60, 300),
    ("TSLA", "", "N", 700.00, 900),
]
EXCHANGES = ["Q", "N", "P", "K", "Z", "V", "J", "Y"]
TRFS = ["N", "Q", "B"]  # UTP letters; CTA writes Carteret as T
rows = []
seq = 0
for root, suffix, source, price, prints in SYMBOLS:
    start, end = 9 * 3600 + 1800, 16 * 3600
    times = sorted(random.uniform(start, end) for _ in range(prints))
    times = [random.uniform(4 * 3600, start) for _ in range(5)] + times
    times.sort()
    for t in times:
        price = max(0.01, price * (1 + random.gauss(0, 0.0008)))
        off = random.random() < 0.45
        size = random.choice([100, 100, 100, 200, 300, 500, 1000]) if random.random() < 0.8 \
            else random.randint(1, 99)
        if off and random.random() < 0.04:
            size = random.choice([10000, 12500, 25000, 50000]) if price < 100 else random.choice([300, 500, 1000])
        conditions = "@" if size >= 100 else "@ I"
        if t < start:
            conditions = "T"
        elif off and random.random() < 0.03:
            conditions = random.choice(["@ W", "L", "@ 4"])
        rf = random.choice(TRFS) if off else ""
        if off and source == "C" and rf == "Q":
            rf = "T"
        seq += 1
        h, rem = divmod(t, 3600)
        m, s = divmod(rem, 60)
        ns = int(round((s - int(s)) * 1e9)) % 1_000_000_000
        rows.append(f"2021-08-02,{int(h)}:{int(m):02d}:{int(s):02d}.{ns:09d},{'D' if off else random.choice(EXCHANGES)},"
                    f"{root},{suffix},{conditions},{size},{price:.2f},N,00,{seq},{seq},{source},{rf}")
with open("data/samples/illustrative_taq_trades_2021-08-02.csv", "w") as f:
    f.write("DATE,TIME_M,EX,SYM_ROOT,SYM_SUFFIX,TR_SCOND,SIZE,PRICE,TR_STOP_IND,TR_CORR,TR_SEQNUM,TR_ID,TR_SOURCE,TR_RF\n")
    f.write("\n".join(rows) + "\n")
print(len(rows), "prints")
