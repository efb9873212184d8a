//! FINRA's OTC transparency weekly data: the site's pipe-delimited downloads and the API's fields,
//! every venue by MPID, refused rows kept, and a revised week replacing the rows it republishes.

use chrono::NaiveDate;
use whalewatch::collect::finra_ats::{self, AtsOptions};
use whalewatch::lake::Lake;

use crate::support::{fixture, query_rows};

fn week() -> AtsOptions {
    AtsOptions {
        week: NaiveDate::from_ymd_opt(2024, 11, 4),
        venue_type: None,
    }
}

#[tokio::test]
async fn every_venue_lands_by_mpid_and_bad_rows_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // A download does not say its week: without --week it is refused whole.
    let download = fixture("finra/ats/ats_nms_tier1_2024-11-04.txt");
    let report =
        finra_ats::ingest_files(&lake, &[download.clone()], &AtsOptions::default()).unwrap();
    assert!(
        report.failures[0].1.contains("give --week"),
        "{:?}",
        report.failures
    );
    let report = finra_ats::ingest_files(&lake, &[download], &week()).unwrap();
    assert_eq!((report.rows_written, report.rows_rejected), (7, 2));
    let api = fixture("finra/ats/weekly_summary_api_2024-11-04.csv");
    let report = finra_ats::ingest_files(&lake, &[api], &AtsOptions::default()).unwrap();
    assert_eq!((report.rows_written, report.rows_rejected), (4, 1));
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT line, field, reason FROM rejected_records ORDER BY source, line"
        )
        .await,
        vec![
            "8|totalWeeklyShareQuantity|\"n/a\" is not a share count",
            "9|MPID|a second row for MSFT at EBXL in the week of 2024-11-04 (the first is line 7)",
            "6|tierDescription|not a FINRA tier (NMS Tier 1, NMS Tier 2, OTC)",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT week_start, tier, venue_type, count(*), count(DISTINCT mpid), sum(weekly_shares) \
             FROM ats_weekly GROUP BY 1, 2, 3 ORDER BY 2, 3"
        )
        .await,
        vec![
            "2024-11-04|OTCE|NON_ATS|1|1|412300",
            "2024-11-04|T1|ATS|7|6|11883825",
            "2024-11-04|T1|NON_ATS|2|2|38888800",
            "2024-11-04|T2|ATS|1|1|639234",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT issue_name FROM ats_weekly WHERE symbol = 'AAOI'"
        )
        .await,
        vec!["Applied Optoelectronics, Inc. Common Stock"]
    );
}

#[tokio::test]
async fn a_revised_week_replaces_the_rows_it_republishes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    for name in [
        "ats_nms_tier1_2024-11-04.txt",
        "ats_nms_tier1_2024-11-04_revised.txt",
    ] {
        finra_ats::ingest_files(&lake, &[fixture(&format!("finra/ats/{name}"))], &week()).unwrap();
    }
    // Loaded twice more: nothing doubles.
    finra_ats::ingest_files(
        &lake,
        &[fixture("finra/ats/ats_nms_tier1_2024-11-04_revised.txt")],
        &week(),
    )
    .unwrap();
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT symbol, mpid, weekly_shares, weekly_trades, last_update_date FROM ats_weekly \
             WHERE symbol = 'AAPL' ORDER BY mpid"
        )
        .await,
        vec![
            "AAPL|INCR|1876543|15877|2024-11-25",
            "AAPL|JPMX|1234567|9876|2024-11-18",
            "AAPL|SGMT|987654|6021|2024-11-18",
            "AAPL|UBSA|2160000|14300|2024-11-25",
        ]
    );
    assert_eq!(
        query_rows(dir.path(), "SELECT count(*) FROM ats_weekly").await,
        vec!["7"]
    );
}

#[tokio::test]
async fn coverage_and_venue_share_queries() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    finra_ats::ingest_files(
        &lake,
        &[fixture("finra/ats/ats_nms_tier1_2024-11-04.txt")],
        &week(),
    )
    .unwrap();
    finra_ats::ingest_files(
        &lake,
        &[fixture("finra/ats/weekly_summary_api_2024-11-04.csv")],
        &AtsOptions::default(),
    )
    .unwrap();
    // Every MPID of the input: six ATSs in Tier 1, EBXL again in Tier 2, two non-ATS firms;
    // 11,883,825 + 639,234 ATS shares and 38,888,800 + 412,300 non-ATS.
    assert_eq!(
        crate::support::run_query_file(dir.path(), "queries/ats_coverage.sql", &[]),
        vec![
            "week_start,ats_venues,non_ats_firms,symbols,weekly_shares,mpids",
            "2024-11-04,6,2,4,51824159.0,CDRG CROS EBXL INCR JPMX SGMT UBSA VIRT",
        ]
    );
    // AAPL's four ATSs: 2,154,321 + 1,876,543 + 1,234,567 + 987,654 = 6,253,085 shares.
    // UBSA 34.4521 %, INCR 30.0099 %, JPMX 19.7433 %, SGMT 15.7947 %: HHI 2,726.81, their
    // sum of squares (computed here from the shares, not by the query).
    let aapl =
        crate::support::run_query_file(dir.path(), "queries/ats_venue_share.sql", &["symbol=aapl"]);
    assert_eq!(aapl.len(), 5, "{aapl:?}");
    assert!(
        aapl[1].starts_with("2024-11-04,AAPL,UBSA,UBS ATS,2154321.0,14210,34.4521,"),
        "{}",
        aapl[1]
    );
    let hhi: f64 = [2154321.0, 1876543.0, 1234567.0, 987654.0]
        .iter()
        .map(|s: &f64| (100.0 * s / 6253085.0).powi(2))
        .sum();
    assert!(
        aapl[1].contains(&format!(",{:.2},", hhi)),
        "{} {hhi}",
        aapl[1]
    );
    // SGMT's 987,654 shares in 6,021 trades: 164.03 a trade.
    assert!(aapl[4].contains(",164.03,"), "{}", aapl[4]);
}
