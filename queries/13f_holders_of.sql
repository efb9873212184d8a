-- name: 13f_holders_of
-- description: Every 13F manager holding one security as its holdings were known at the end of
-- description: as_of (holdings_asof: only filings accepted by then, amendments applied once
-- description: filed), by CUSIP or by symbol (through the securities master). One row per manager
-- description: and position (shares, principal, puts and calls apart), largest first.
-- param: as_of date = 2100-12-31           -- the day the holdings were known by
-- param: cusip text =                      -- the CUSIP (or leave it empty and give symbol)
-- param: symbol text =                     -- the symbol, through the securities master
-- schedule: (reserved)
-- output: (reserved)
WITH symbols AS (
    -- One master row per CUSIP: the latest valid_from that holds on as_of.
    SELECT cusip, symbol FROM (
        SELECT cusip, symbol,
               row_number() OVER (PARTITION BY cusip ORDER BY valid_from DESC NULLS LAST, source DESC) AS pick
        FROM securities
        WHERE (valid_from IS NULL OR valid_from <= $as_of) AND (valid_to IS NULL OR valid_to >= $as_of))
    WHERE pick = 1
)
SELECT h.cik, max(h.filer_name) AS filer_name, h.report_period, max(h.known_at) AS known_at,
       h.cusip, max(s.symbol) AS symbol, max(h.issuer) AS issuer, h.put_call, h.amount_type,
       sum(h.amount) AS shares, sum(h.value_usd) AS value_usd, count(*) AS filed_rows,
       string_agg(DISTINCT h.basis, ', ') AS basis
FROM holdings_asof($as_of) AS h
LEFT JOIN symbols AS s ON s.cusip = h.cusip
WHERE h.cusip = upper($cusip) OR s.symbol = upper($symbol)
GROUP BY h.cik, h.report_period, h.cusip, h.put_call, h.amount_type
ORDER BY value_usd DESC, h.cik;
