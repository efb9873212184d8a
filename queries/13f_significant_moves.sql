-- name: 13f_significant_moves
-- description: The spec's significant 13F moves in one report period, from
-- description: institutional_holdings_13f (amendments applied as filed so far): new positions worth
-- description: more than min_new_value, increases of more than min_increase_pct percent worth more
-- description: than min_increase_value after the increase, and full exits. Largest first.
-- param: report_period date                       -- the quarter's end, as 2024-12-31
-- param: min_new_value float = 10000000           -- a new position's value ($)
-- param: min_increase_pct float = 50              -- an increase in shares (percent)
-- param: min_increase_value float = 5000000       -- the increased position's value ($)
-- schedule: (reserved)
-- output: (reserved)
SELECT cik, filer_name, report_period, symbol, company_name, cusip, put_call, amount_type,
       CASE WHEN is_closed_position THEN 'exit'
            WHEN is_new_position THEN 'new_position'
            ELSE 'increase' END AS move,
       shares, shares_change, round(shares_change_pct, 2) AS shares_change_pct, market_value
FROM institutional_holdings_13f
WHERE report_period = $report_period
  AND (is_closed_position
       OR (is_new_position AND market_value > $min_new_value)
       OR (NOT is_new_position AND shares_change_pct > $min_increase_pct
           AND market_value > $min_increase_value))
ORDER BY CASE WHEN is_closed_position THEN 1 ELSE 0 END, market_value DESC, cik, cusip;
