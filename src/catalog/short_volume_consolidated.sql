-- The view short_volume_consolidated: FINRA's consolidated (CNMS) row of a date and symbol where that
-- file was ingested, otherwise the sum of the per-facility files, so that no volume counts twice.
-- Read by src/catalog/mod.rs and by benches/dix_vs_duckdb.py (the same SQL in both engines).
SELECT date, symbol, short_volume, short_exempt_volume, total_volume, 'CNMS' AS facilities
FROM short_volume WHERE facility = 'CNMS'
UNION ALL
SELECT f.date, f.symbol, sum(f.short_volume), sum(f.short_exempt_volume), sum(f.total_volume),
       string_agg(f.facility, ',' ORDER BY f.facility)
FROM short_volume f
WHERE f.facility <> 'CNMS'
  AND NOT EXISTS (SELECT 1 FROM short_volume c
                  WHERE c.facility = 'CNMS' AND c.date = f.date AND c.symbol = f.symbol)
GROUP BY f.date, f.symbol
