//! FINRA's OTC transparency weekly data: the site's pipe-delimited downloads and the API's fields,
//! every venue by MPID, refused rows kept, and a revised week replacing the rows it republishes.

use chrono::NaiveDate;
use whalewatch::collect::finra::ats::{self as finra_ats, AtsOptions};
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
    let report = finra_ats::ingest_files(
        &lake,
        std::slice::from_ref(&download),
        &AtsOptions::default(),
    )
    .unwrap();
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

mod api {
    use std::time::Duration;

    use chrono::NaiveDate;
    use whalewatch::collect::finra::ats as finra_ats;
    use whalewatch::collect::http::{HttpClient, HttpConfig};
    use whalewatch::collect::NoProgress;
    use whalewatch::lake::Lake;

    use crate::support::{query_rows, Reply, TestServer};

    const PATH: &str = "/data/group/otcMarket/name/weeklySummary";

    fn record(symbol: &str, mpid: &str, shares: u64) -> String {
        format!(
            r#"{{"weekStartDate":"2024-11-04","tierIdentifier":"T1","tierDescription":"NMS Tier 1",
                "issueSymbolIdentifier":"{symbol}","issueName":"{symbol} Common Stock","MPID":"{mpid}",
                "marketParticipantName":"{mpid} ATS","totalWeeklyShareQuantity":{shares},
                "totalWeeklyTradeCount":100,"lastUpdateDate":"2024-11-18",
                "summaryTypeCode":"ATS_W_SMBL_FIRM","initialPublishedDate":"2024-11-18"}}"#
        )
    }

    fn client() -> HttpClient {
        HttpClient::new(HttpConfig {
            user_agent: "whalewatch-tests research tests@example.com".to_string(),
            timeout: Duration::from_secs(10),
            max_retries: 2,
            initial_backoff: Duration::from_millis(5),
            max_requests_per_second: 1000.0,
        })
        .unwrap()
    }

    fn week() -> Vec<NaiveDate> {
        vec![NaiveDate::from_ymd_opt(2024, 11, 4).unwrap()]
    }

    #[tokio::test]
    async fn pages_are_fetched_until_a_short_one_after_backing_off_on_429() {
        let server = TestServer::start();
        let page = |records: &[String]| Reply::ok(format!("[{}]", records.join(",")));
        server.route(
            PATH,
            vec![
                Reply::status(429),
                page(&[record("AAPL", "UBSA", 1000), record("AAPL", "INCR", 2000)]),
                page(&[record("MSFT", "UBSA", 3000), record("MSFT", "SGMT", 4000)]),
                page(&[record("NVDA", "JPMX", 5000)]),
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let tiers = vec!["T1".to_string()];
        let report = finra_ats::ingest_api(
            &lake,
            &client(),
            &server.base_url,
            None,
            &week(),
            &tiers,
            2,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!((report.landed, report.rows_written), (1, 5));
        // The refused request is asked again at the same offset; then offsets 2 and 4.
        let offsets: Vec<u64> = server
            .bodies
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| {
                serde_json::from_str::<serde_json::Value>(body).unwrap()["offset"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(offsets, [0, 0, 2, 4]);
        let body = server.bodies.lock().unwrap()[0].1.clone();
        assert!(
            body.contains(r#""fieldName":"weekStartDate","fieldValue":"2024-11-04""#)
                && body.contains(r#""fieldValue":"T1""#),
            "{body}"
        );
        assert_eq!(
            query_rows(
                dir.path(),
                "SELECT venue_type, count(DISTINCT mpid), sum(weekly_shares) FROM ats_weekly GROUP BY 1"
            )
            .await,
            vec!["ATS|4|15000"]
        );
    }

    #[tokio::test]
    async fn a_malformed_page_lands_nothing_of_its_week_and_404_is_not_published() {
        let server = TestServer::start();
        server.route(
            PATH,
            vec![
                Reply::ok(format!("[{}]", record("AAPL", "UBSA", 1000))),
                Reply::ok("[{\"issueSymbolIdentifier\": \"MSFT\", "),
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let tiers = vec!["T1".to_string()];
        let report = finra_ats::ingest_api(
            &lake,
            &client(),
            &server.base_url,
            None,
            &week(),
            &tiers,
            1,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(report.landed, 0);
        assert!(
            report.failures[0]
                .1
                .contains("page at offset 1 is not a JSON array of records"),
            "{:?}",
            report.failures
        );
        assert_eq!(
            query_rows(dir.path(), "SELECT count(*) FROM ats_weekly").await,
            vec!["0"]
        );
        let missing = TestServer::start();
        let report = finra_ats::ingest_api(
            &lake,
            &client(),
            &missing.base_url,
            None,
            &week(),
            &tiers,
            10,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!((report.landed, report.not_published), (0, 1));
    }

    #[tokio::test]
    async fn api_credentials_buy_a_token_that_every_page_carries() {
        let server = TestServer::start();
        let token_path = "/oauth2/access_token?grant_type=client_credentials";
        server.route(
            token_path,
            vec![Reply::ok(
                r#"{"access_token":"tok-123","token_type":"Bearer","expires_in":1799}"#,
            )],
        );
        server.route(
            PATH,
            vec![Reply::ok(format!("[{}]", record("AAPL", "UBSA", 1000)))],
        );
        let credentials = finra_ats::ApiCredentials {
            client_id: "analyst".to_string(),
            client_secret: "s3cret".to_string(),
            token_url: format!("{}/oauth2/access_token", server.base_url),
        };
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let tiers = vec!["T1".to_string()];
        let report = finra_ats::ingest_api(
            &lake,
            &client(),
            &server.base_url,
            Some(&credentials),
            &week(),
            &tiers,
            10,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!((report.landed, report.rows_written), (1, 1));
        // Basic base64("analyst:s3cret") for the token, then the token on the data request.
        assert_eq!(
            *server.authorizations.lock().unwrap(),
            vec![
                (
                    token_path.to_string(),
                    Some("Basic YW5hbHlzdDpzM2NyZXQ=".to_string())
                ),
                (PATH.to_string(), Some("Bearer tok-123".to_string())),
            ]
        );
        // Credentials FINRA refuses stop the run with what to check, before any data request.
        let refusing = TestServer::start();
        refusing.route(token_path, vec![Reply::status(401)]);
        let credentials = finra_ats::ApiCredentials {
            token_url: format!("{}/oauth2/access_token", refusing.base_url),
            ..credentials
        };
        let error = finra_ats::ingest_api(
            &lake,
            &client(),
            &refusing.base_url,
            Some(&credentials),
            &week(),
            &tiers,
            10,
            &NoProgress,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("HTTP 401") && error.contains("check finra.client_id"),
            "{error}"
        );
        assert_eq!(refusing.hits(PATH), 0);
    }
}
