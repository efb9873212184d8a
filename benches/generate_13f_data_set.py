#!/usr/bin/env python3
"""Generates one quarter of the SEC's Form 13F data sets, at real size and shape, as the ZIP the SEC
publishes (`2024q3_form13f.zip`) for `whalewatch ingest sec-13f-bulk --file`.

10,000 filings and 4.5 M information-table rows by default, about what the real 2024Q3 set holds.
The layout is the SEC's CSVW schema (`FORM13F_metadata.json`): SUBMISSION, COVERPAGE, OTHERMANAGER,
SIGNATURE, SUMMARYPAGE, OTHERMANAGER2 and INFOTABLE `.tsv`, each with a header line of every
column of its table in schema order, tab-delimited, no quoting, `\\n` line ends, dates as
DD-MON-YYYY (`14-NOV-2024`), missing values as empty strings. Deterministic for a seed.

The shape: 92 % 13F-HR, 5 % 13F-NT (no information table), 3 % 13F-HR/A (RESTATEMENT or NEW
HOLDINGS); report period 30-SEP-2024 but for ~2 % late filings and amendments of older quarters;
filed on EDGAR business days from 1 Oct to 29 Nov 2024, most in the week before the 14 Nov
deadline. Rows per filing lognormal (median ~120, a handful of filers with 20,000-40,000 rows),
scaled to --rows. 30,000 securities (valid CUSIP check digits; ~2 % of rows are bonds, reported
as PRN with value ~ principal) drawn Zipf-like, without repeats within a filing as long as the
filing is small enough; prices lognormal around $60. VALUE is in dollars, but in thousands in ~3 %
of filings (as some filers still report it); ~4 % of rows are puts or calls. SUMMARYPAGE totals
equal each filing's row count and VALUE sum. INFOTABLE lists each filing's rows together, in the
order of SUBMISSION, with increasing INFOTABLE_SK.

    python3 benches/generate_13f_data_set.py [--out /tmp/whalewatch-bench/2024q3_form13f.zip]
        [--filings 10000] [--rows 4500000] [--securities 30000] [--seed 13]
"""
import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

# Every table of FORM13F_metadata.json, its columns in schema order.
TABLES = {
    "SUBMISSION.tsv": ["ACCESSION_NUMBER", "FILING_DATE", "SUBMISSIONTYPE", "CIK", "PERIODOFREPORT"],
    "COVERPAGE.tsv": [
        "ACCESSION_NUMBER", "REPORTCALENDARORQUARTER", "ISAMENDMENT", "AMENDMENTNO", "AMENDMENTTYPE",
        "CONFDENIEDEXPIRED", "DATEDENIEDEXPIRED", "DATEREPORTED", "REASONFORNONCONFIDENTIALITY",
        "FILINGMANAGER_NAME", "FILINGMANAGER_STREET1", "FILINGMANAGER_STREET2", "FILINGMANAGER_CITY",
        "FILINGMANAGER_STATEORCOUNTRY", "FILINGMANAGER_ZIPCODE", "REPORTTYPE", "FORM13FFILENUMBER",
        "CRDNUMBER", "SECFILENUMBER", "PROVIDEINFOFORINSTRUCTION5", "ADDITIONALINFORMATION"],
    "OTHERMANAGER.tsv": ["ACCESSION_NUMBER", "OTHERMANAGER_SK", "CIK", "FORM13FFILENUMBER", "CRDNUMBER",
                         "SECFILENUMBER", "NAME"],
    "SIGNATURE.tsv": ["ACCESSION_NUMBER", "NAME", "TITLE", "PHONE", "SIGNATURE", "CITY", "STATEORCOUNTRY",
                      "SIGNATUREDATE"],
    "SUMMARYPAGE.tsv": ["ACCESSION_NUMBER", "OTHERINCLUDEDMANAGERSCOUNT", "TABLEENTRYTOTAL", "TABLEVALUETOTAL",
                        "ISCONFIDENTIALOMITTED"],
    "OTHERMANAGER2.tsv": ["ACCESSION_NUMBER", "SEQUENCENUMBER", "CIK", "FORM13FFILENUMBER", "CRDNUMBER",
                          "SECFILENUMBER", "NAME"],
    "INFOTABLE.tsv": [
        "ACCESSION_NUMBER", "INFOTABLE_SK", "NAMEOFISSUER", "TITLEOFCLASS", "CUSIP", "FIGI", "VALUE",
        "SSHPRNAMT", "SSHPRNAMTTYPE", "PUTCALL", "INVESTMENTDISCRETION", "OTHERMANAGER", "VOTING_AUTH_SOLE",
        "VOTING_AUTH_SHARED", "VOTING_AUTH_NONE"],
}

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
PERIOD = dt.date(2024, 9, 30)
# Late filings and amendments report older quarters.
OLDER_PERIODS = [dt.date(2024, 6, 30), dt.date(2024, 3, 31), dt.date(2023, 12, 31), dt.date(2023, 9, 30),
                 dt.date(2023, 6, 30), dt.date(2022, 12, 31)]
OLDER_SHARE = np.array([0.55, 0.20, 0.10, 0.07, 0.05, 0.03])
DEADLINE = dt.date(2024, 11, 14)  # 45 days after the quarter's end
EDGAR_HOLIDAYS = {dt.date(2024, 10, 14), dt.date(2024, 11, 11), dt.date(2024, 11, 28)}
HR, NT, HRA = 0, 1, 2
FORMS = ["13F-HR", "13F-NT", "13F-HR/A"]
MAX_ROWS = 40_000  # the largest filers' tables
ZIPF = 0.9
BOND_WEIGHT = 0.015  # of the draws: bonds end up ~2 % of the rows (popular stocks saturate, a filing lists them once)

# Filing agents' CIKs, the first part of the accession numbers they file under, and their shares.
AGENTS = [950123, 1172661, 1085146, 935836, 1398344, 1567619, 1420506, 1104659, 1214659, 1062993,
          1140361, 1193125, 1013594, 919574, 1493152]
AGENT_SHARE = np.array([14, 12, 10, 9, 8, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2], dtype=float)
AGENT_SHARE /= AGENT_SHARE.sum()

WORDS = """ACME ALPHA ALLIED AMERICAN APEX ATLANTIC AURORA BANCORP BAY BEACON BIO BLUE BRIDGE CANYON CAPITAL
CARDINAL CASCADE CEDAR CENTRAL CENTURY CIVIC COASTAL COLUMBIA COMMERCE CONTINENTAL CORE CREST DELTA DIGITAL
DOMINION DYNAMICS EAGLE EASTERN ELECTRIC EMPIRE ENERGY ENTERPRISE EQUITY EVEREST FEDERAL FIRST FRONTIER
GENERAL GENESIS GLOBAL GOLDEN GRANITE GREAT HARBOR HERITAGE HIGHLAND HOLDINGS HORIZON INDEPENDENCE
INDUSTRIES INNOVATIVE INTEGRATED INTERNATIONAL IRON KEYSTONE LAKE LIBERTY LUMEN MAGNOLIA MARINE MEDICAL
MERIDIAN METRO MIDWEST MOUNTAIN NATIONAL NETWORK NORTHERN NOVA OAK OCEAN OMEGA ORION PACIFIC PARAMOUNT
PEAK PHARMACEUTICALS PINNACLE PIONEER PLATINUM POWER PRECISION PREMIER PROGRESSIVE QUANTUM RESOURCES
RIDGE RIVER ROYAL SCIENTIFIC SECURITY SEMICONDUCTOR SIERRA SILVER SOLAR SOUTHERN SPECTRUM STANDARD
STAR STERLING SUMMIT SYSTEMS TECHNOLOGIES THERAPEUTICS TITAN TRANS UNION UNITED UNIVERSAL VALLEY
VANGUARD VECTOR VENTURE VERTEX VISTA WESTERN WORLDWIDE ZENITH""".split()
ISSUER_SUFFIXES = ["INC", "INC", "INC", "CORP", "CORP", "CO", "LTD", "PLC", "HLDGS INC", "GROUP INC", "TR",
                   "N V", "SE", "ETF TR", "LP", "BANCORP INC", "FINL CORP"]
EQUITY_CLASSES = ["COM", "CL A", "SHS", "COM NEW", "CL B", "SPONSORED ADR", "ORD SHS", "ETF", "UNIT"]
EQUITY_CLASS_SHARE = np.array([0.66, 0.08, 0.05, 0.05, 0.03, 0.04, 0.03, 0.05, 0.01])
MANAGER_SUFFIXES = ["CAPITAL MANAGEMENT LLC", "ASSET MANAGEMENT INC", "ADVISORS LLC", "WEALTH MANAGEMENT LLC",
                    "INVESTMENT MANAGEMENT CO", "PARTNERS LP", "FINANCIAL GROUP INC", "& CO", "CAPITAL LP",
                    "TRUST CO", "INVESTMENT ADVISORS INC", "FAMILY OFFICE LLC"]
PLACES = [("NEW YORK", "NY", "10022"), ("NEW YORK", "NY", "10017"), ("BOSTON", "MA", "02110"),
          ("SAN FRANCISCO", "CA", "94111"), ("GREENWICH", "CT", "06830"), ("CHICAGO", "IL", "60606"),
          ("LOS ANGELES", "CA", "90067"), ("DALLAS", "TX", "75201"), ("HOUSTON", "TX", "77002"),
          ("MIAMI", "FL", "33131"), ("DENVER", "CO", "80202"), ("SEATTLE", "WA", "98101"),
          ("ATLANTA", "GA", "30305"), ("MINNEAPOLIS", "MN", "55402"), ("PHILADELPHIA", "PA", "19103"),
          ("CHARLOTTE", "NC", "28202"), ("CLEVELAND", "OH", "44114"), ("NASHVILLE", "TN", "37203"),
          ("LONDON", "X0", "EC2V 7HR"), ("TORONTO", "A6", "M5H 2Y4"), ("ZURICH", "V8", "8001"),
          ("TOKYO", "M0", "100-0005"), ("HONG KONG", "K3", "")]
PLACE_SHARE = np.array([14, 10, 7, 6, 5, 6, 5, 4, 3, 4, 3, 3, 3, 2, 3, 2, 2, 2, 3, 2, 1, 1, 1], dtype=float)
PLACE_SHARE /= PLACE_SHARE.sum()
FIRST_NAMES = ["JOHN", "MARY", "ROBERT", "PATRICIA", "MICHAEL", "JENNIFER", "DAVID", "LINDA", "JAMES",
               "SUSAN", "WILLIAM", "KAREN", "THOMAS", "NANCY", "DANIEL", "LISA", "MARK", "LAURA"]
LAST_NAMES = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MILLER", "DAVIS", "GARCIA", "WILSON",
              "ANDERSON", "TAYLOR", "THOMAS", "MOORE", "MARTIN", "LEE", "CLARK", "LEWIS", "WALKER"]
TITLES = ["Chief Compliance Officer", "Chief Financial Officer", "Managing Member", "President",
          "Chief Operating Officer", "Operations Manager", "General Counsel", "Portfolio Manager"]
ADDITIONAL_INFORMATION = [
    "Confidential information has been omitted from the public Form 13F report and filed separately with "
    "the Commission.",
    "This amendment restates the holdings reported in the original filing.",
    "Values are reported as of the close of business on the last trading day of the quarter.",
]


def sec_date(day):
    """`14-NOV-2024`, the data sets' date format."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"


def char_value(c):
    """A CUSIP character's value: digits as themselves, letters A-Z = 10-35, * @ # = 36-38."""
    if c.isdigit():
        return ord(c) - ord("0")
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    return {"*": 36, "@": 37, "#": 38}[c]


def cusip_check_digit(base):
    """The check digit of an 8-character CUSIP base: every second character's value doubled, the
    digits of all values summed, check = (10 - sum % 10) % 10."""
    total = 0
    for i, c in enumerate(base):
        v = char_value(c) * (2 if i % 2 == 1 else 1)
        total += v // 10 + v % 10
    return (10 - total % 10) % 10


def cusip_valid(cusip):
    return len(cusip) == 9 and cusip[8].isdigit() and cusip_check_digit(cusip[:8]) == int(cusip[8])


def business_days(first, last):
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and day not in EDGAR_HOLIDAYS:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def filing_day_weights(days):
    """Few filings early in October, more through early November, a steep rise to the deadline
    (14 Nov takes ~20 %), and a tail of late filers after it."""
    w = []
    for day in days:
        to_deadline = (DEADLINE - day).days
        if to_deadline > 0:
            w.append(1.0 + 3.0 * (day.month == 11) + 25.0 * np.exp(-to_deadline / 2.5))
        elif to_deadline == 0:
            w.append(32.0)
        else:
            w.append(1.2 if to_deadline >= -3 else 0.5)
    w = np.array(w)
    return w / w.sum()


def choose(rng, options, n, p=None):
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def make_securities(rng, count):
    """Per security: CUSIP, issuer name, class, FIGI (or ''), price, bond flag, bond price fraction,
    popularity (sums to 1; bonds hold BOND_WEIGHT of it)."""
    n_issuers = max(1, int(count * 0.92))
    # Issuer codes: mostly 6 digits, some foreign (G, N, Y, H, L, P + 5) and some with letters at the end.
    codes = set()
    out = []
    while len(out) < n_issuers:
        kind = rng.random()
        digits = "".join(map(str, rng.integers(0, 10, 6)))
        if kind < 0.08:
            code = "G" + digits[1:]
        elif kind < 0.12:
            code = "NYHLP"[rng.integers(0, 5)] + digits[1:]
        elif kind < 0.16:
            code = digits[:5] + "ABCDEFGHJKLMNPRTVWXY"[rng.integers(0, 20)]
        else:
            code = digits
        if code not in codes:
            codes.add(code)
            out.append(code)
    issuer_code = np.array(out, dtype=object)
    words = np.array(WORDS, dtype=object)
    names = []
    for _ in range(n_issuers):
        parts = list(words[rng.choice(len(words), rng.integers(1, 4), replace=False)])
        suffix = ISSUER_SUFFIXES[rng.integers(0, len(ISSUER_SUFFIXES))]
        name = " ".join(parts + [suffix])
        while len(name) < 10:
            name = words[rng.integers(0, len(words))] + " " + name
        names.append(name[:30].rstrip())
    issuer_name = np.array(names, dtype=object)

    # The other securities are bonds (2/3) and second share classes (1/3) of existing issuers.
    n_extra = count - n_issuers
    issuer = np.concatenate([np.arange(n_issuers), rng.integers(0, n_issuers, n_extra)])
    bond = np.zeros(count, dtype=bool)
    bond[n_issuers:] = rng.random(n_extra) < 2 / 3
    eq_class = choose(rng, EQUITY_CLASSES, count, EQUITY_CLASS_SHARE)
    eq_class[n_issuers:] = choose(rng, ["CL B", "CL C", "PFD", "COM"], n_extra)
    rates = rng.integers(1, 64, count) * 0.125
    months = rng.integers(1, 13, count)
    mday = np.where(rng.random(count) < 0.7, 1, 15)
    titles = np.where(bond, [f"NOTE {r:.3f}% {m}/{d}" for r, m, d in zip(rates, months, mday)], eq_class)
    issue_number = np.where(rng.random(count) < 0.85, "10", choose(rng, ["20", "30", "40", "50", "60", "88"], count))
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"), dtype=object)
    cusips, seen = [], set()
    for i in range(count):
        code = issuer_code[issuer[i]]
        if bond[i]:
            issue = "A" + letters[rng.integers(0, len(letters))]
        elif i >= n_issuers:
            issue = str(rng.integers(2, 10)) + "0"
        else:
            issue = issue_number[i]
        base = code + issue
        while base in seen:  # another class or bond of the same issuer took that issue number
            base = code + letters[rng.integers(0, len(letters))] + str(rng.integers(0, 10))
        seen.add(base)
        cusips.append(base + str(cusip_check_digit(base)))
    cusip = np.array(cusips, dtype=object)
    assert all(cusip_valid(c) for c in cusip)
    # FIGIs: most securities have one, few filers report it.
    figi_chars = np.array(list("BCDFGHJKLMNPQRSTVWXYZ0123456789"), dtype=object)
    figis = []
    for _ in range(count):
        body = "BBG00" + "".join(figi_chars[rng.integers(0, len(figi_chars), 6)])
        figis.append(body + str(figi_check_digit(body)))
    figi = np.where(rng.random(count) < 0.7, np.array(figis, dtype=object), "")

    price = np.round(np.clip(rng.lognormal(np.log(60.0), 1.1, count), 0.5, 3000.0), 2)
    par_fraction = rng.uniform(0.9, 1.1, count)
    rank = rng.permutation(count)
    popularity = 1.0 / (rank + 1.0) ** ZIPF
    if bond.any():
        popularity[bond] *= BOND_WEIGHT / popularity[bond].sum()
        popularity[~bond] *= (1 - BOND_WEIGHT) / popularity[~bond].sum()
    popularity /= popularity.sum()
    return {"cusip": cusip, "name": issuer_name[issuer], "title": titles.astype(object), "figi": figi,
            "price": price, "bond": bond, "par_fraction": par_fraction, "popularity": popularity}


def figi_check_digit(body):
    """The 12th character of a FIGI: the CUSIP-style double-add-double over the first 11."""
    total = 0
    for i, c in enumerate(body):
        v = char_value(c) * (2 if i % 2 == 1 else 1)
        total += v // 10 + v % 10
    return (10 - total % 10) % 10


def rows_per_filing(rng, kind, amendment_type, total):
    """Information-table rows of each filing: 0 for notices, 1-20 for NEW HOLDINGS amendments, the
    others lognormal (median ~120) with the tail pressed into 20,000-40,000, scaled to `total`."""
    n = len(kind)
    rows = np.zeros(n, dtype=np.int64)
    small = (kind == HRA) & (amendment_type == "NEW HOLDINGS")
    rows[small] = rng.integers(1, 21, small.sum())
    big = (kind == HR) | ((kind == HRA) & ~small)
    x = rng.lognormal(np.log(120.0), 1.65, big.sum())
    budget = total - rows[small].sum()
    if budget < big.sum():
        sys.exit(f"--rows {total} is too few for {big.sum()} holdings filings")

    def shaped(scale):
        r = scale * x
        over = r > MAX_ROWS / 2
        r[over] = MAX_ROWS / 2 * (2 - np.exp(-(r[over] - MAX_ROWS / 2) / (MAX_ROWS / 2)))
        return np.maximum(1, np.round(r)).astype(np.int64)

    lo, hi = 1e-6, 1e4
    for _ in range(100):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if shaped(mid).sum() < budget else (lo, mid)
    r = shaped(lo)
    # The rounding leaves a small remainder: give it to (or take it from) the mid-sized filings.
    remainder = budget - r.sum()
    candidates = np.flatnonzero((r > 2) & (r < MAX_ROWS - 1))
    step = 1 if remainder > 0 else -1
    while remainder != 0:
        pick = rng.choice(candidates, min(abs(remainder), len(candidates)), replace=False)
        r[pick] += step
        remainder -= step * len(pick)
    rows[big] = r
    return rows


def draw_holdings(rng, rows, popularity, bond):
    """The security of every row, filing by filing, and how many rows repeat a security of their
    filing. Zipf draws (1.6 per row) whose repeats within a filing are dropped, which is sampling
    without replacement; a filing left short of distinct securities (a large one) tops up with
    uniform draws (the small caps big filers hold; bonds as rare as in the Zipf draws), and only
    the largest, whose tables outgrow what they draw, repeat securities, as they do when they list
    one per sub-adviser or discretion."""
    n_sec = len(popularity)
    cdf = np.cumsum(popularity)
    cdf /= cdf[-1]

    def firsts(filing_of_draw, sec):
        """1 where the draw repeats an earlier draw of its filing (draws in array order)."""
        _, first_index = np.unique(filing_of_draw * n_sec + sec, return_index=True)
        repeat = np.ones(len(sec), dtype=np.int8)
        repeat[first_index] = 0
        return repeat

    draws = np.ceil(rows * 1.6).astype(np.int64) + 8 * (rows > 0)
    filing_of_draw = np.repeat(np.arange(len(rows)), draws)
    sec = np.minimum(np.searchsorted(cdf, rng.random(len(filing_of_draw)), side="right"), n_sec - 1)
    repeat = firsts(filing_of_draw, sec)
    short = np.maximum(0, rows - np.bincount(filing_of_draw[repeat == 0], minlength=len(rows)))
    extra = np.ceil(np.minimum(short * 1.5, n_sec * 2)).astype(np.int64)
    filing_of_extra = np.repeat(np.arange(len(rows)), extra)
    # The top-up draws follow their filing's Zipf draws, so that a repeat is always the later one.
    filing_of_draw = np.concatenate([filing_of_draw, filing_of_extra])
    flat = np.where(bond, BOND_WEIGHT / max(1, bond.sum()), (1 - BOND_WEIGHT) / max(1, (~bond).sum()))
    flat_cdf = np.cumsum(flat) / flat.sum()
    topup = np.searchsorted(flat_cdf, rng.random(len(filing_of_extra)), side="right")
    sec = np.concatenate([sec, np.minimum(topup, n_sec - 1)])
    stage = np.concatenate([np.zeros(len(repeat), np.int8), np.ones(len(filing_of_extra), np.int8)])
    order = np.argsort(filing_of_draw * 2 + stage, kind="stable")
    filing_of_draw, sec = filing_of_draw[order], sec[order]
    del stage, order, filing_of_extra
    repeat = firsts(filing_of_draw, sec)
    # Per filing: first occurrences in draw order, then repeats in draw order; keep `rows` of them.
    order = np.argsort(filing_of_draw * 2 + repeat, kind="stable")
    filing_sorted = filing_of_draw[order]
    start = np.concatenate([[0], np.cumsum(draws + extra)[:-1]])
    position = np.arange(len(order)) - start[filing_sorted]
    keep = position < rows[filing_sorted]
    return filing_sorted[keep], sec[order[keep]], int((repeat[order[keep]] == 1).sum())


def make_filings(rng, n):
    kind = np.full(n, HR, dtype=np.int64)
    n_nt, n_a = round(n * 0.05), round(n * 0.03)
    kind[:n_nt] = NT
    kind[n_nt:n_nt + n_a] = HRA
    kind = rng.permutation(kind)

    # Filers' CIKs: unique, unpadded, not a filing agent's; an amendment mostly amends a filer's own
    # report in this set (same CIK).
    pool = np.concatenate([rng.integers(2_000, 900_000, n), rng.integers(900_000, 1_600_000, 3 * n),
                           rng.integers(1_600_000, 2_040_000, 4 * n)])
    pool = np.setdiff1d(np.unique(pool), AGENTS)
    pool = rng.permutation(pool)[:n]
    cik = pool.copy()
    is_hr = np.flatnonzero(kind == HR)
    amend = np.flatnonzero(kind == HRA)
    reuse = amend[rng.random(len(amend)) < 0.75]
    original = rng.choice(is_hr, len(reuse), replace=len(is_hr) < len(reuse))
    cik[reuse] = cik[original]

    # Report period: ~1.5 % of reports, ~1 % of notices and ~25 % of amendments are for older quarters.
    older_p = np.choose(kind, [0.015, 0.01, 0.25])
    older = rng.random(n) < older_p
    period = np.full(n, PERIOD, dtype=object)
    period[older] = choose(rng, OLDER_PERIODS, older.sum(), OLDER_SHARE)
    period[reuse] = np.where(rng.random(len(reuse)) < 0.8, PERIOD, period[reuse])

    days = business_days(dt.date(2024, 10, 1), dt.date(2024, 11, 29))
    weights = filing_day_weights(days)
    day_index = rng.choice(len(days), n, p=weights)
    uniform = (kind == HRA) | older
    day_index[uniform] = rng.integers(0, len(days), uniform.sum())
    # An amendment of this quarter's report comes after the report.
    same = reuse[period[reuse] == PERIOD]
    orig_same = original[period[reuse] == PERIOD]
    day_index[same] = day_index[orig_same] + (rng.random(len(same)) * (len(days) - day_index[orig_same])).astype(int)
    day_index = np.minimum(day_index, len(days) - 1)
    filed = np.array(days, dtype=object)[day_index]

    amendment_type = np.full(n, "", dtype=object)
    amendment_type[amend] = np.where(rng.random(len(amend)) < 0.6, "RESTATEMENT", "NEW HOLDINGS")
    amendment_no = np.zeros(n, dtype=np.int64)
    amendment_no[amend] = rng.choice([1, 1, 1, 1, 2, 2, 3, 4], len(amend))
    report_type = np.where(kind == NT, "13F NOTICE",
                           np.where(rng.random(n) < 0.05, "13F COMBINATION REPORT", "13F HOLDINGS REPORT"))
    return {"kind": kind, "cik": cik, "period": period, "filed": filed, "day_index": day_index,
            "amendment_type": amendment_type, "amendment_no": amendment_no, "report_type": report_type}


def accession_numbers(rng, filings, order):
    """`0000950123-24-011234`: the filer's own CIK or a filing agent's, year, sequence. Sequences rise
    with the filing date per prefix; unique."""
    n = len(order)
    cik = filings["cik"]
    self_filed = rng.random(n) < 0.4
    agent = rng.choice(len(AGENTS), n, p=AGENT_SHARE)
    prefix = np.where(self_filed, cik, np.array(AGENTS)[agent])
    seq = np.zeros(n, dtype=np.int64)
    counters = {}
    agent_sequences = {}
    for a in range(len(AGENTS)):
        members = order[(~self_filed[order]) & (agent[order] == a)]
        start = int(rng.integers(2_000, 9_000))
        agent_sequences[a] = np.sort(rng.choice(np.arange(start, 999_999), len(members), replace=False))
        seq[members] = agent_sequences[a]
    for i in order[self_filed[order]]:
        counters[cik[i]] = counters.get(cik[i], int(rng.integers(0, 8))) + 1
        seq[i] = counters[cik[i]]
    numbers = np.array([f"{p:010d}-24-{s:06d}" for p, s in zip(prefix, seq)], dtype=object)
    assert len(set(numbers)) == n
    return numbers


def manager_name(rng):
    words = rng.choice(WORDS, rng.integers(1, 3), replace=False)
    name = " ".join(list(words) + [MANAGER_SUFFIXES[rng.integers(0, len(MANAGER_SUFFIXES))]])
    return name.title().replace("Llc", "LLC").replace(" Lp", " LP") if rng.random() < 0.4 else name


def file_number(rng):
    return f"028-{rng.integers(10_000, 25_000):05d}"


def lines(columns, rows):
    return "\t".join(columns) + "\n" + "".join("\t".join(map(str, row)) + "\n" for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/whalewatch-bench/2024q3_form13f.zip")
    parser.add_argument("--filings", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=4_500_000, help="INFOTABLE rows in all")
    parser.add_argument("--securities", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    # Apple, Microsoft, the QQQ trust and a Bermuda issuer, as the SEC's files list them.
    assert all(cusip_valid(c) for c in ("037833100", "594918104", "46090E103", "G1151C101"))
    assert not cusip_valid("037833101")
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)

    n = args.filings
    filings = make_filings(rng, n)
    kind = filings["kind"]
    # SUBMISSION order: by filing date, then at random.
    order = np.lexsort((rng.random(n), filings["day_index"]))
    accession = accession_numbers(rng, filings, order)
    rows = rows_per_filing(rng, kind, filings["amendment_type"], args.rows)
    sec = make_securities(rng, args.securities)

    # Per filing: other managers (more often for big filers), unit, option share, habits.
    has_table = rows > 0
    others = np.zeros(n, dtype=np.int64)
    with_others = has_table & (rng.random(n) < np.where(rows > 2000, 0.45, 0.12))
    others[with_others] = np.minimum(rng.geometric(0.45, with_others.sum()), 12)
    thousands = has_table & (rng.random(n) < 0.03)
    option_share = rng.beta(0.3, 7.2, n)
    reports_figi = rng.random(n) < 0.06
    main_discretion = rng.choice(3, n, p=[0.80, 0.15, 0.05])
    size_scale = rng.normal(0.0, 1.0, n)
    alphabetical = rng.random(n) < 0.7

    # INFOTABLE, in SUBMISSION order: rows of a filing together.
    rows_in_order = rows[order]
    filing_pos, security, repeats = draw_holdings(rng, rows_in_order, sec["popularity"], sec["bond"])
    filing = order[filing_pos]
    total = len(filing)
    name_rank = np.empty(len(sec["cusip"]), dtype=np.int64)
    name_rank[np.lexsort((sec["cusip"].astype(str), sec["name"].astype(str)))] = np.arange(len(sec["cusip"]))
    within = np.where(alphabetical[filing], name_rank[security], rng.integers(0, 1 << 30, total))
    row_order = np.lexsort((within, filing_pos))
    filing, security = filing[row_order], security[row_order]
    del filing_pos, within, row_order

    bond = sec["bond"][security]
    option = ~bond & (rng.random(total) < option_share[filing])
    put_call = np.where(option, np.where(rng.random(total) < 0.45, 1, 2), 0)  # '', Put, Call
    position = np.minimum(np.exp(np.log(1.5e6) + size_scale[filing] + rng.normal(0.0, 1.9, total)), 3e11)
    price = sec["price"][security]
    shares = np.maximum(1, np.round(position / price)).astype(np.int64)
    shares = np.where(option, np.maximum(100, np.round(shares, -2)), shares)
    principal = np.maximum(1000, np.round(position, -3)).astype(np.int64)
    amount = np.where(bond, principal, shares)
    dollars = np.where(bond, principal * sec["par_fraction"][security] * rng.uniform(0.995, 1.005, total),
                       shares * price)
    value = np.round(np.where(thousands[filing], dollars / 1000.0, dollars)).astype(np.int64)
    del position, principal, dollars, price

    style = rng.random(total)
    sole = np.where(style < 0.62, amount, 0)
    none = np.where((style >= 0.62) & (style < 0.80), amount, 0)
    shared = np.where((style >= 0.80) & (style < 0.86), amount, 0)
    mixed = style >= 0.86
    split_sole = np.floor(amount * rng.random(total)).astype(np.int64)
    split_shared = np.floor((amount - split_sole) * rng.random(total)).astype(np.int64)
    sole = np.where(mixed, split_sole, sole)
    shared = np.where(mixed, split_shared, shared)
    none = np.where(mixed, amount - split_sole - split_shared, none)
    del style, mixed, split_sole, split_shared

    discretion = np.where(rng.random(total) < 0.9, main_discretion[filing], rng.integers(0, 3, total))
    manager_count = others[filing]
    pick = rng.random(total)
    other_manager = np.where(manager_count == 0, 0,
                             np.where(pick < 0.4, 0, np.where((pick < 0.8) | (manager_count < 2), 1,
                                                               np.where((pick < 0.95) | (manager_count < 3), 2, 3))))
    titles = sec["title"]
    class_names = np.unique(titles.astype(str))
    class_index = np.searchsorted(class_names, titles.astype(str))[security]
    option_title = option & (rng.random(total) < 0.3)
    class_index = np.where(option_title, len(class_names) + put_call - 1, class_index)
    class_names = np.concatenate([class_names, ["PUT", "CALL"]])
    figi_index = np.where(reports_figi[filing] & (sec["figi"][security] != ""), security + 1, 0)

    # Summary totals from the rows as written.
    entry_total = np.bincount(filing, minlength=n)
    value_total = np.bincount(filing, weights=value.astype(np.float64), minlength=n)
    exact_total = {}
    big_values = value_total > 2 ** 52
    for i in np.flatnonzero(big_values):  # exact integer sums where a float could round
        exact_total[i] = int(value[filing == i].sum())
    assert (entry_total == rows).all()

    sk_base = 50_000_000 + int(rng.integers(0, 5_000_000))
    table = pa.table([
        pa.array(accession, pa.string()).take(pa.array(filing)),
        pa.array(sk_base + np.arange(total, dtype=np.int64)),
        pa.array(sec["name"], pa.string()).take(pa.array(security)),
        pa.array(class_names, pa.string()).take(pa.array(class_index)),
        pa.array(sec["cusip"], pa.string()).take(pa.array(security)),
        pa.array(np.concatenate([[""], sec["figi"]]), pa.string()).take(pa.array(figi_index)),
        pa.array(value),
        pa.array(amount),
        pa.array(["SH", "PRN"], pa.string()).take(pa.array(bond.astype(np.int8))),
        pa.array(["", "Put", "Call"], pa.string()).take(pa.array(put_call)),
        pa.array(["SOLE", "DFND", "OTR"], pa.string()).take(pa.array(discretion)),
        pa.array(["", "1", "1,2", "1,2,3"], pa.string()).take(pa.array(other_manager)),
        pa.array(sole), pa.array(shared), pa.array(none),
    ], names=TABLES["INFOTABLE.tsv"])
    distinct_cusips = len(np.unique(security))
    counts = {"PRN rows": int(bond.sum()), "put/call rows": int(option.sum()), "FIGI rows": int((figi_index > 0).sum()),
              "repeated securities within a filing": int(repeats)}
    del filing, security, value, amount, sole, shared, none, bond, option

    # The small tables.
    place = rng.choice(len(PLACES), n, p=PLACE_SHARE)
    first = rng.choice(len(FIRST_NAMES), n)
    last = rng.choice(len(LAST_NAMES), n)
    submission, cover, signature, summary, other_rows, other2_rows = [], [], [], [], [], []
    other_sk = 3_000_000 + int(rng.integers(0, 500_000))
    for i in order:
        a, k = accession[i], kind[i]
        period, filed = sec_date(filings["period"][i]), filings["filed"][i]
        submission.append((a, sec_date(filed), FORMS[k], filings["cik"][i], period))
        city, state, zipcode = PLACES[place[i]]
        amended = k == HRA
        atype = filings["amendment_type"][i]
        denied = amended and atype == "NEW HOLDINGS" and rng.random() < 0.2
        cover.append((
            a, period, "Y" if amended else "N", filings["amendment_no"][i] if amended else "", atype,
            "Y" if denied else "", sec_date(filed - dt.timedelta(days=int(rng.integers(5, 60)))) if denied else "",
            sec_date(filings["period"][i]) if denied else "", "",
            manager_name(rng), f"{rng.integers(1, 2000)} {WORDS[rng.integers(0, len(WORDS))]} STREET",
            f"SUITE {rng.integers(100, 4000)}" if rng.random() < 0.35 else "", city, state, zipcode,
            filings["report_type"][i], file_number(rng),
            f"{rng.integers(100_000, 330_000)}" if rng.random() < 0.5 else "",
            f"801-{rng.integers(10_000, 130_000)}" if rng.random() < 0.5 else "",
            "Y" if rng.random() < 0.05 else "N",
            ADDITIONAL_INFORMATION[rng.integers(0, len(ADDITIONAL_INFORMATION))] if rng.random() < 0.03 else ""))
        person = f"{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}"
        if rng.random() < 0.5:
            person = person.title()
        signature.append((a, person, TITLES[rng.integers(0, len(TITLES))],
                          f"{rng.integers(201, 990)}-{rng.integers(200, 999)}-{rng.integers(0, 10_000):04d}",
                          f"/s/ {person}" if rng.random() < 0.6 else person, city, state,
                          sec_date(max(filed - dt.timedelta(days=int(rng.choice([0, 0, 0, 1, 2]))),
                                       filings["period"][i] + dt.timedelta(days=1)))))
        if k != NT:
            vt = exact_total.get(i, int(value_total[i]))
            confidential = "Y" if rng.random() < 0.02 else ("N" if rng.random() < 0.97 else "")
            summary.append((a, others[i], entry_total[i], vt, confidential))
        for s in range(1, others[i] + 1):
            other2_rows.append((a, s, rng.integers(800_000, 2_040_000) if rng.random() < 0.6 else "",
                                file_number(rng), rng.integers(100_000, 330_000) if rng.random() < 0.3 else "",
                                f"801-{rng.integers(10_000, 130_000)}" if rng.random() < 0.3 else "",
                                manager_name(rng)))
        # Notices and combination reports name the managers that report for this one.
        if k == NT or filings["report_type"][i] == "13F COMBINATION REPORT":
            for _ in range(1 if rng.random() < 0.7 else int(rng.integers(2, 5))):
                other_sk += 1
                other_rows.append((a, other_sk, rng.integers(800_000, 2_040_000) if rng.random() < 0.7 else "",
                                   file_number(rng), "", "", manager_name(rng)))

    with tempfile.TemporaryDirectory(dir=os.path.dirname(out), prefix=".generate-13f-") as tmp:
        info_path = os.path.join(tmp, "INFOTABLE.tsv")
        with open(info_path, "wb", buffering=16 << 20) as f:
            f.write(("\t".join(TABLES["INFOTABLE.tsv"]) + "\n").encode())
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, delimiter="\t",
                                                         quoting_style="none", batch_size=1 << 16))
        info_bytes = os.path.getsize(info_path)
        del table
        written = time.perf_counter()
        partial = out + ".partial"
        small = {"SUBMISSION.tsv": submission, "COVERPAGE.tsv": cover, "OTHERMANAGER.tsv": other_rows,
                 "SIGNATURE.tsv": signature, "SUMMARYPAGE.tsv": summary, "OTHERMANAGER2.tsv": other2_rows}
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, member_rows in small.items():
                zf.writestr(name, lines(TABLES[name], member_rows))
            zf.write(info_path, "INFOTABLE.tsv")
        os.replace(partial, out)
    done = time.perf_counter()

    forms = np.bincount(kind, minlength=3)
    older = int(sum(p != PERIOD for p in filings["period"]))
    print(f"{out}: {os.path.getsize(out) / 2 ** 20:,.1f} MiB "
          f"(INFOTABLE.tsv {info_bytes / 2 ** 20:,.1f} MiB uncompressed)")
    print(f"{n:,} filings: {forms[HR]:,} 13F-HR, {forms[NT]:,} 13F-NT, {forms[HRA]:,} 13F-HR/A; "
          f"{older:,} for quarters before {sec_date(PERIOD)}; {int(thousands.sum()):,} report VALUE in thousands")
    print(f"{total:,} INFOTABLE rows, {distinct_cusips:,} distinct CUSIPs (of {args.securities:,}); rows per "
          f"holdings filing: median {int(np.median(rows[has_table]))}, max {int(rows.max()):,}, "
          f"{int((rows >= 20_000).sum())} filers with 20,000+")
    print(", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"{len(summary):,} summary pages, {len(other2_rows):,} OTHERMANAGER2 rows, "
          f"{len(other_rows):,} OTHERMANAGER rows")
    print(f"generated in {written - started:.1f} s, zipped in {done - written:.1f} s: {done - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
