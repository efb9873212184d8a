-- name: gex
-- description: Dealer gamma exposure of one underlying's chain on one date, by strike and in
-- description: total (the row with strike NULL): Σ gamma × open interest × 100 × spot² × 0.01
-- description: (dollars per 1 % move), calls minus puts, as gex() computes it, in $ millions.
-- description: Uses the chain's own gamma (CBOE chains carry it; LiveVol's Calcs files as
-- description: gamma_1545) and the chain's underlying price; contracts_without_gamma counts the
-- description: rows that could not count. Ingest chains with whalewatch ingest open-interest.
-- param: underlying text = SPX              -- the underlying as the chain names it
-- param: date date = 2100-12-31             -- the chain's date
-- schedule: (reserved)
-- output: (reserved)
SELECT strike,
       round(gex(gamma, open_interest, underlying_price, "right") FILTER (WHERE "right" = 'C') / 1e6, 1)
           AS call_gex_mm,
       round(0 - gex(gamma, open_interest, underlying_price, "right") FILTER (WHERE "right" = 'P') / 1e6, 1)
           AS put_gex_mm,
       round(gex(gamma, open_interest, underlying_price, "right") / 1e6, 1) AS net_gex_mm,
       sum(open_interest) AS open_interest,
       sum(CASE WHEN gamma IS NULL OR underlying_price IS NULL THEN 1 ELSE 0 END)
           AS contracts_without_gamma
FROM open_interest
WHERE underlying = upper($underlying) AND date = $date
GROUP BY ROLLUP (strike)
ORDER BY strike NULLS LAST;
