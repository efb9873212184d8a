//! The FINRA Reg SHO collector against a real HTTP server on 127.0.0.1 serving real-format files.

use std::time::Duration;

use chrono::NaiveDate;
use whalewatch::collect::finra::short_volume::{ingest_dates, Facility};
use whalewatch::collect::http::{HttpClient, HttpConfig};
use whalewatch::collect::IngestReport;
use whalewatch::lake::Lake;

use crate::support::{fixture, query_rows, snapshot, Reply, TestServer};

/// The real CNMS excerpt of 2021-08-02: 10 records and the trailer "10", CRLF.
fn real_file() -> String {
    std::fs::read_to_string(fixture("finra/CNMSshvol20210802.txt")).expect("fixture")
}

const DAY: &str = "/CNMSshvol20210802.txt";

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

async fn ingest(server: &TestServer, lake: &Lake, dates: &[NaiveDate]) -> IngestReport {
    ingest_with_timeout(server, lake, dates, Duration::from_secs(10)).await
}

async fn ingest_with_timeout(
    server: &TestServer,
    lake: &Lake,
    dates: &[NaiveDate],
    timeout: Duration,
) -> IngestReport {
    let config = HttpConfig {
        user_agent: "whalewatch-tests (tests@example.com)".to_string(),
        timeout,
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_requests_per_second: 1000.0,
    };
    let http = HttpClient::new(config).expect("client");
    ingest_dates(
        lake,
        &http,
        &server.base_url,
        &[Facility::Cnms],
        dates,
        &whalewatch::collect::NoProgress,
    )
    .await
    .expect("ingest runs")
}

#[tokio::test]
async fn good_day_lands_every_record_with_a_declared_user_agent() {
    let server = TestServer::start();
    server.route(DAY, vec![Reply::ok(real_file())]);
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let report = ingest(&server, &lake, &[date("2021-08-02")]).await;
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (1, 10, 0)
    );
    assert!(report.failures.is_empty());
    let agents = server.requests.lock().unwrap().clone();
    assert_eq!(
        agents[0].1.as_deref(),
        Some("whalewatch-tests (tests@example.com)")
    );

    // The symbol with a slash survives, the multi-facility market is kept as published.
    let rows = query_rows(dir.path(), "SELECT symbol, short_volume, short_exempt_volume, total_volume, market, facility, date FROM short_volume WHERE symbol = 'RDS/A'").await;
    assert_eq!(rows, vec!["RDS/A|225032|1127|910288|B,Q,N|CNMS|2021-08-02"]);
    // ShortVolume already includes ShortExemptVolume: DPI = 5397162 / 11756713, not (5397162 + 43094) / …
    let rows = query_rows(
        dir.path(),
        "SELECT dpi(short_volume, total_volume) FROM short_volume WHERE symbol = 'AAL'",
    )
    .await;
    assert_eq!(rows, vec![format!("{:.10}", 5397162.0 / 11756713.0)]);
    let log = query_rows(
        dir.path(),
        "SELECT status, rows_written, length(sha256) FROM ingest_log",
    )
    .await;
    assert_eq!(log, vec!["landed|10|64"]);
}

#[tokio::test]
async fn holidays_and_weekends_are_not_asked_for_and_the_range_goes_on() {
    let server = TestServer::start();
    let body = |day: &str| real_file().replace("20210802", day);
    server.route("/CNMSshvol20210702.txt", vec![Reply::ok(body("20210702"))]);
    server.route("/CNMSshvol20210706.txt", vec![Reply::ok(body("20210706"))]);
    // 2021-07-05 (Independence Day observed) is an NYSE holiday: FINRA publishes no file, and
    // the collector knows it without asking (the server would answer 404).
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let days: Vec<NaiveDate> = date("2021-07-02")
        .iter_days()
        .take_while(|d| *d <= date("2021-07-06"))
        .collect();
    assert_eq!(days.len(), 5, "Friday to Tuesday");
    let report = ingest(&server, &lake, &days).await;
    assert_eq!(
        (
            report.landed,
            report.not_published,
            report.missing,
            report.failures.len()
        ),
        (2, 0, 0, 0)
    );
    assert_eq!(
        report.notes,
        vec!["2021-07-05: NYSE closed (Independence Day), no file to fetch"]
    );
    assert_eq!(server.requests.lock().unwrap().len(), 2);
    let log = query_rows(
        dir.path(),
        "SELECT status, count(*) FROM ingest_log GROUP BY status ORDER BY status",
    )
    .await;
    assert_eq!(log, vec!["landed|2"]);
    let dates = query_rows(
        dir.path(),
        "SELECT DISTINCT date FROM short_volume ORDER BY date",
    )
    .await;
    assert_eq!(dates, vec!["2021-07-02", "2021-07-06"]);
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let server = TestServer::start();
    server.route(
        DAY,
        vec![
            Reply::status(500),
            Reply::status(503),
            Reply::ok(real_file()),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let report = ingest(&server, &Lake::new(dir.path()), &[date("2021-08-02")]).await;
    assert_eq!((report.landed, report.rows_written), (1, 10));
    assert_eq!(server.hits(DAY), 3);
}

#[tokio::test]
async fn persistent_server_errors_fail_after_the_retries() {
    let server = TestServer::start();
    server.route(DAY, vec![Reply::status(502)]);
    let dir = tempfile::tempdir().unwrap();
    let report = ingest(&server, &Lake::new(dir.path()), &[date("2021-08-02")]).await;
    assert_eq!(report.landed, 0);
    assert_eq!(server.hits(DAY), 4, "one try and three retries");
    assert!(
        report.failures[0].1.contains("HTTP 502"),
        "{:?}",
        report.failures
    );
}

/// Lands the good file, then serves `bad` for the same day: the ingest must fail with a message
/// containing `expected`, and the short_volume files must be byte for byte what they were.
async fn bad_file_leaves_the_lake_unchanged(bad: String, expected: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let good = TestServer::start();
    good.route(DAY, vec![Reply::ok(real_file())]);
    assert_eq!(ingest(&good, &lake, &[date("2021-08-02")]).await.landed, 1);
    let before = snapshot(&dir.path().join("short_volume"));

    let server = TestServer::start();
    server.route(DAY, vec![Reply::ok(bad)]);
    let report = ingest(&server, &lake, &[date("2021-08-02")]).await;
    assert_eq!(report.landed, 0);
    assert_eq!(report.failures.len(), 1);
    let message = &report.failures[0].1;
    assert!(
        message.contains(expected),
        "{message:?} should contain {expected:?}"
    );
    assert!(
        message.starts_with(&format!("{}{DAY}", server.base_url)),
        "the message names the source: {message}"
    );
    assert_eq!(
        before,
        snapshot(&dir.path().join("short_volume")),
        "the lake changed"
    );
    let log = query_rows(
        dir.path(),
        "SELECT status FROM ingest_log ORDER BY started_at",
    )
    .await;
    assert_eq!(log, vec!["landed", "failed"]);
    dir
}

#[tokio::test]
async fn truncated_file_is_refused() {
    // Cut in the middle of the sixth record: no trailer.
    let file = real_file();
    let cut = file.find("RDS/A").expect("record") + 3;
    bad_file_leaves_the_lake_unchanged(
        file[..cut].to_string(),
        "no record-count trailer: the file is truncated",
    )
    .await;
}

#[tokio::test]
async fn wrong_trailer_count_is_refused() {
    let file = real_file().replace("\r\n10\r\n", "\r\n11\r\n");
    bad_file_leaves_the_lake_unchanged(file, "the trailer counts 11 records but the file has 10")
        .await;
}

#[tokio::test]
async fn non_numeric_volume_is_refused_and_the_record_kept() {
    let file = real_file().replace("|616179|", "|61x179|");
    let dir = bad_file_leaves_the_lake_unchanged(
        file,
        ":3: field ShortVolume: \"61x179\" is not a non-negative number of shares",
    )
    .await;
    let kept = query_rows(dir.path(), "SELECT line, field, raw FROM rejected_records").await;
    assert_eq!(
        kept,
        vec!["3|ShortVolume|20210802|ABBV|61x179|1027|1886830|B,Q,N"]
    );
}

#[tokio::test]
async fn short_volume_above_total_volume_is_refused() {
    let file = real_file().replace("|97507|715|308769|", "|397507|715|308769|");
    bad_file_leaves_the_lake_unchanged(
        file,
        ":4: field ShortVolume: ShortVolume 397507 exceeds TotalVolume 308769",
    )
    .await;
}

#[tokio::test]
async fn forbidden_and_too_many_requests_back_off_as_the_server_says() {
    let server = TestServer::start();
    let mut too_many = Reply::status(429);
    too_many
        .headers
        .push(("Retry-After".to_string(), "1".to_string()));
    server.route(
        DAY,
        vec![Reply::status(403), too_many, Reply::ok(real_file())],
    );
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let report = ingest(&server, &Lake::new(dir.path()), &[date("2021-08-02")]).await;
    assert_eq!((report.landed, report.rows_written), (1, 10));
    assert_eq!(server.hits(DAY), 3);
    // The test client's own backoff is 10-20 ms: a wait of a second can only come from Retry-After.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_timed_out_request_is_retried() {
    let server = TestServer::start();
    let mut slow = Reply::ok(real_file());
    slow.delay = Duration::from_secs(2);
    server.route(DAY, vec![slow, Reply::ok(real_file())]);
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let report = ingest_with_timeout(
        &server,
        &lake,
        &[date("2021-08-02")],
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(
        (report.landed, report.rows_written),
        (1, 10),
        "{:?}",
        report.failures
    );
    assert_eq!(server.hits(DAY), 2);
}
