-- name: ats_coverage
-- description: How many distinct venues the lake covers, per week (the spec's "40+ venues"): ATS
-- description: MPIDs, non-ATS firms, and every MPID present, from ats_weekly.
-- param: from date = 1900-01-01           -- the first week start
-- param: to date = 2100-12-31             -- the last week start
-- schedule: (reserved)
-- output: (reserved)
SELECT week_start,
       count(DISTINCT CASE WHEN venue_type = 'ATS' THEN mpid END) AS ats_venues,
       count(DISTINCT CASE WHEN venue_type = 'NON_ATS' THEN mpid END) AS non_ats_firms,
       count(DISTINCT symbol) AS symbols,
       sum(weekly_shares) AS weekly_shares,
       array_to_string(array_sort(array_agg(DISTINCT mpid)), ' ') AS mpids
FROM ats_weekly
WHERE week_start BETWEEN $from AND $to
GROUP BY week_start
ORDER BY week_start;
