//! 13F: real EDGAR full submissions through the collector, the value unit decided per filing,
//! reconciliation against the summary page, CUSIP check digits, and idempotent re-ingest.

use whalewatch::collect::sec_13f;
use whalewatch::lake::Lake;

use crate::support::{fixture, query_rows, snapshot};

fn filings() -> Vec<std::path::PathBuf> {
    [
        "0001790837-23-000002.txt",
        "0001140361-23-013281.txt",
        "0001619124-21-000002.txt",
        "13F.0001894188-23-000007.txt",
        "0001951757-25-000093.nc",
    ]
    .iter()
    .map(|name| fixture(&format!("sec13f/{name}")))
    .collect()
}

#[tokio::test]
async fn the_value_unit_is_decided_per_filing_not_by_date() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let report = sec_13f::ingest_files(&lake, &filings()).unwrap();
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (5, 192, 0)
    );
    let rows = query_rows(
        dir.path(),
        "SELECT filer_name, report_period, filed_date, value_unit, rows, table_entry_total, \
         rows_match_total, value_matches_total FROM filings_13f ORDER BY report_period",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            // The ground truths: ACTIAM in thousands; MetLife, filed in 2023 for 2021, in
            // dollars; Bull Street, filed in 2023 for 2022, still in thousands.
            "ACTIAM N.V.|2020-12-31|2021-02-12|thousands|5|5|true|true",
            "METLIFE INC|2021-12-31|2023-03-23|dollars|6|6|true|true",
            "Bull Street Advisors, LLC|2022-12-31|2023-02-28|thousands|90|90|true|true",
            "LTS One Management LP|2023-09-30|2023-11-14|dollars|14|14|true|true",
            "ACORN CREEK CAPITAL LLC|2024-12-31|2025-01-22|dollars|77|77|true|true",
        ]
    );
    // 3M in Bull Street's table: value 287 (thousands) for 2,397 shares is $287,000, $119.73 a
    // share; EDGAR's acceptance time 2023-02-28 13:28:48 New York is 18:28:48 UTC.
    let mmm = query_rows(
        dir.path(),
        "SELECT value_raw, value_usd, amount, cusip_valid, accepted_at FROM holdings_13f \
         WHERE cik = '0001790837' AND cusip = '88579Y101'",
    )
    .await;
    assert_eq!(mmm, vec!["287|287000|2397|true|2023-02-28T18:28:48Z"]);
    // Every filing's dollars: the summary page's total in its unit.
    let totals = query_rows(
        dir.path(),
        "SELECT f.filer_name, sum(h.value_usd) = max(f.table_value_total) * \
         CASE max(f.value_unit) WHEN 'thousands' THEN 1000 ELSE 1 END \
         FROM holdings_13f h JOIN filings_13f f USING (accession) GROUP BY f.filer_name ORDER BY 1",
    )
    .await;
    assert!(totals.iter().all(|r| r.ends_with("|true")), "{totals:?}");
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(*) FROM holdings_13f WHERE NOT cusip_valid"
        )
        .await,
        vec!["0"]
    );

    // Ingesting again changes nothing.
    let before = snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("_13f"))
        .count();
    sec_13f::ingest_files(&lake, &filings()).unwrap();
    let after = snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("_13f"))
        .count();
    assert_eq!(before, after);
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(*), count(DISTINCT accession) FROM filings_13f"
        )
        .await,
        vec!["5|5"]
    );
    assert_eq!(
        query_rows(dir.path(), "SELECT count(*) FROM holdings_13f").await,
        vec!["192"]
    );
}

#[tokio::test]
async fn a_filing_that_does_not_reconcile_is_flagged_and_bad_rows_are_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // ACTIAM's filing with one CUSIP check digit broken (037833100 → 037833109), one row's value
    // made unreadable, and so one row fewer than its tableEntryTotal of 5.
    let text = std::fs::read_to_string(fixture("sec13f/0001619124-21-000002.txt")).unwrap();
    let broken = text.replacen("037833100", "037833109", 1).replacen(
        "<ns1:value>66793</ns1:value>",
        "<ns1:value>n/a</ns1:value>",
        1,
    );
    assert_ne!(broken, text);
    let path = dir.path().join("0001619124-21-000002.txt");
    std::fs::write(&path, broken).unwrap();
    let report = sec_13f::ingest_files(&lake, &[path]).unwrap();
    assert_eq!((report.rows_written, report.rows_rejected), (4, 1));
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT rows, table_entry_total, rows_match_total, value_matches_total FROM filings_13f"
        )
        .await,
        vec!["4|5|false|false"]
    );
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT cusip FROM holdings_13f WHERE NOT cusip_valid"
        )
        .await,
        vec!["037833109"]
    );
    let refused = query_rows(
        lake.root(),
        "SELECT line, field, reason FROM rejected_records",
    )
    .await;
    assert_eq!(refused, vec!["2|value|information table row 2: no number"]);
}
