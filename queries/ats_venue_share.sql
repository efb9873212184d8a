-- name: ats_venue_share
-- description: Each ATS's share of a symbol's ATS volume per week, the week's venue concentration
-- description: (Herfindahl-Hirschman index of those shares in percent, 0 to 10,000), the venue's
-- description: average trade size (large ones flag block-oriented ATSs) and its share's change
-- description: from the previous week it reported the symbol (percentage points).
-- param: symbol text =                    -- one symbol (empty: all)
-- param: from date = 1900-01-01           -- the first week start
-- param: to date = 2100-12-31             -- the last week start
-- schedule: (reserved)
-- output: (reserved)
WITH venues AS (
    SELECT week_start, symbol, mpid, max(venue_name) AS venue_name,
           sum(weekly_shares) AS weekly_shares, sum(weekly_trades) AS weekly_trades
    FROM ats_weekly
    WHERE venue_type = 'ATS' AND week_start BETWEEN $from AND $to
      AND ($symbol = '' OR symbol = upper($symbol))
    GROUP BY week_start, symbol, mpid
), shares AS (
    SELECT v.*,
           100.0 * weekly_shares / sum(weekly_shares) OVER (PARTITION BY week_start, symbol)
               AS share_pct
    FROM venues v
)
SELECT week_start, symbol, mpid, venue_name, weekly_shares, weekly_trades,
       round(share_pct, 4) AS share_pct,
       round(sum(share_pct * share_pct) OVER (PARTITION BY week_start, symbol), 2) AS hhi,
       round(weekly_shares / nullif(weekly_trades, 0), 2) AS average_trade_size,
       round(share_pct - lag(share_pct) OVER (PARTITION BY symbol, mpid ORDER BY week_start), 4)
           AS share_change_pct_points
FROM shares
ORDER BY week_start, symbol, weekly_shares DESC, mpid;
