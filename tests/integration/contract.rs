//! The lake's contract as a user meets it: a location that is not a lake is refused (and nothing
//! is created for a URL), a file is known by its content, a run that landed nothing fails, FINRA
//! ranges know NYSE's holidays, an unreachable host stops the run at once with its cause, and the
//! library's entry points serve every front end.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use whalewatch::collect::finra::short_volume::Facility;
use whalewatch::collect::NoProgress;
use whalewatch::config::Config;
use whalewatch::ingest::{self, IngestJob};
use whalewatch::lake::{Lake, LakeLocation, LocationOrigin};

use crate::support::{copy_tree, fixture, query_rows, repo, snapshot, Reply, TestServer};

fn whalewatch(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_whalewatch"));
    command
        .current_dir(repo())
        .env_remove("WHALEWATCH_LAKE")
        .env_remove("WHALEWATCH_CONFIG")
        .env("WHALEWATCH_THREADS", "2")
        .args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run whalewatch")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

/// A config with a fast, patient-enough HTTP client for local test servers.
fn test_config() -> Config {
    let mut config = Config::default();
    config.http.user_agent = Some("whalewatch-tests (tests@example.com)".to_string());
    config.http.max_retries = Some(2);
    config.http.initial_backoff_ms = Some(10);
    config.http.max_requests_per_second = Some(1000.0);
    config.http.timeout_seconds = Some(10);
    config
}

#[test]
fn a_location_that_does_not_exist_is_refused_with_its_origin_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo");
    let location = LakeLocation::new(typo.display().to_string(), LocationOrigin::Flag);
    let error = Lake::open(&location).unwrap_err().to_string();
    assert!(error.contains("from --lake"), "{error}");
    assert!(error.contains("no such directory"), "{error}");
    assert!(error.contains("whalewatch init"), "{error}");
    assert!(!typo.exists());

    // Through the binary, named by the environment: one line, a failure, not "0 rows".
    let output = whalewatch(
        &["sql", "SELECT count(*) FROM short_volume"],
        &[("WHALEWATCH_LAKE", typo.to_str().unwrap())],
    );
    assert!(!output.status.success());
    let lines: Vec<String> = stderr(&output).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("error: lake "), "{lines:?}");
    assert!(lines[0].contains("from $WHALEWATCH_LAKE"), "{lines:?}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_directory_without_a_lake_is_refused_and_init_makes_one() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("notes.txt"), "not a lake").unwrap();
    let output = whalewatch(&["--lake", home.path().to_str().unwrap(), "tables"], &[]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("holds no whalewatch lake"), "{text}");

    let output = whalewatch(&["init", home.path().to_str().unwrap()], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = whalewatch(
        &[
            "--lake",
            home.path().to_str().unwrap(),
            "sql",
            "SELECT count(*) AS n FROM short_volume",
            "--format",
            "csv",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "n\n0\n");
}

#[test]
fn an_object_store_url_is_refused_and_nothing_is_created() {
    let cwd = tempfile::tempdir().unwrap();
    let baskets = cwd.path().join("baskets.csv");
    std::fs::write(&baskets, "basket,symbol\nmine,AAPL\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_whalewatch"))
        .current_dir(cwd.path())
        .env_remove("WHALEWATCH_LAKE")
        .env_remove("WHALEWATCH_CONFIG")
        .args([
            "--lake",
            "s3://bucket/lake",
            "ingest",
            "baskets",
            "--file",
            baskets.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains("s3:// locations are not supported yet"),
        "{text}"
    );
    let entries: Vec<_> = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("baskets.csv")]);
}

#[tokio::test]
async fn a_copy_of_a_landed_file_under_another_name_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let files = tempfile::tempdir().unwrap();
    let tape = files.path().join("tape.csv");
    let copy = files.path().join("tape (1).csv");
    std::fs::copy(fixture("equity_trades/taq_trades_2025-03-03.csv"), &tape).unwrap();
    std::fs::copy(&tape, &copy).unwrap();
    let config = test_config();
    let job = |paths: Vec<std::path::PathBuf>| IngestJob::EquityTrades {
        files: paths,
        date: None,
        time_zone: None,
        off_exchange_codes: Vec::new(),
        columns: Vec::new(),
    };
    let first = ingest::run(job(vec![tape.clone()]), &lake, &config, &NoProgress)
        .await
        .unwrap();
    assert_eq!(first.reports[0].rows_written, 16);
    let volume = "SELECT sum(volume) FROM equity_daily_volume";
    assert_eq!(query_rows(dir.path(), volume).await, vec!["136607"]);

    let second = ingest::run(job(vec![copy.clone()]), &lake, &config, &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (second.reports[0].duplicates, second.reports[0].rows_written),
        (1, 0)
    );
    assert!(
        second.failure().is_none(),
        "a skipped copy is not a failure"
    );
    assert!(
        second
            .notes
            .iter()
            .any(|n| n.contains("already landed as") && n.contains("tape.csv")),
        "{:?}",
        second.notes
    );
    assert_eq!(query_rows(dir.path(), volume).await, vec!["136607"]);
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT status, count(*) FROM ingest_log GROUP BY status ORDER BY status"
        )
        .await,
        vec!["duplicate|1", "landed|1"]
    );
    // The same file under its own name is re-landed (replaced), not skipped.
    let again = ingest::run(job(vec![tape.clone()]), &lake, &config, &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (again.reports[0].duplicates, again.reports[0].rows_written),
        (0, 16)
    );
    // Both names in one run: the second is the copy.
    let both = tempfile::tempdir().unwrap();
    let lake_both = Lake::new(both.path());
    let run = ingest::run(job(vec![tape, copy]), &lake_both, &config, &NoProgress)
        .await
        .unwrap();
    assert_eq!((run.reports[0].landed, run.reports[0].duplicates), (1, 1));
    assert_eq!(query_rows(both.path(), volume).await, vec!["136607"]);
}

#[tokio::test]
async fn option_tapes_and_chains_are_known_by_content_too() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let files = tempfile::tempdir().unwrap();
    let sample = repo().join("data/samples");
    let trades = files.path().join("trades.csv");
    let chain = files.path().join("chain.csv");
    std::fs::copy(sample.join("illustrative_option_trades.csv"), &trades).unwrap();
    std::fs::copy(sample.join("illustrative_open_interest.csv"), &chain).unwrap();
    let trades_copy = files.path().join("trades copy.csv");
    let chain_copy = files.path().join("chain copy.csv");
    std::fs::copy(&trades, &trades_copy).unwrap();
    std::fs::copy(&chain, &chain_copy).unwrap();
    let config = test_config();
    let trades_job = |files: Vec<std::path::PathBuf>| IngestJob::OptionTrades {
        files,
        quotes: Vec::new(),
        time_zone: None,
        columns: Vec::new(),
    };
    let chain_job = |files: Vec<std::path::PathBuf>| IngestJob::OpenInterest {
        files,
        options: Default::default(),
    };
    for (job, table) in [
        (trades_job(vec![trades.clone()]), "option_trades"),
        (chain_job(vec![chain.clone()]), "open_interest"),
    ] {
        let summary = ingest::run(job, &lake, &config, &NoProgress).await.unwrap();
        assert!(summary.reports[0].rows_written > 0, "{table}");
    }
    let count = |table: &str| format!("SELECT count(*) FROM {table}");
    let before = (
        query_rows(dir.path(), &count("option_trades")).await,
        query_rows(dir.path(), &count("open_interest")).await,
    );
    for job in [trades_job(vec![trades_copy]), chain_job(vec![chain_copy])] {
        let summary = ingest::run(job, &lake, &config, &NoProgress).await.unwrap();
        assert_eq!(summary.reports[0].duplicates, 1);
    }
    let after = (
        query_rows(dir.path(), &count("option_trades")).await,
        query_rows(dir.path(), &count("open_interest")).await,
    );
    assert_eq!(before, after);
}

#[test]
fn a_run_whose_every_row_is_refused_fails_and_says_so() {
    let lake = tempfile::tempdir().unwrap();
    let file = lake.path().join("bars.csv");
    std::fs::write(
        &file,
        "date,symbol,open,high,low,close,volume\n2021-01-04,IWM,10,9,8,8.5,100\n",
    )
    .unwrap();
    let lake_dir = lake.path().join("lake");
    let output = whalewatch(
        &[
            "--lake",
            lake_dir.to_str().unwrap(),
            "ingest",
            "bars",
            "--file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("0 rows written, 1 rows rejected"), "{text}");
    assert!(text.contains("done in "), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("error: nothing landed"),
        "{text}"
    );
}

#[tokio::test]
async fn a_finra_range_skips_nyse_holidays_and_calls_a_missing_trading_day_missing() {
    let server = TestServer::start();
    let body = |day: &str| {
        std::fs::read_to_string(fixture("finra/CNMSshvol20210802.txt"))
            .unwrap()
            .replace("20210802", day)
    };
    // 2021-07-02 (Friday) and 2021-07-06 (Tuesday) are published; 2021-07-05 is Independence
    // Day observed; 2021-07-07 is an ordinary trading day the server has no file for.
    server.route("/CNMSshvol20210702.txt", vec![Reply::ok(body("20210702"))]);
    server.route("/CNMSshvol20210706.txt", vec![Reply::ok(body("20210706"))]);
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let job = |from: &str, to: &str| IngestJob::FinraShortVolume {
        date: None,
        from: Some(date(from)),
        to: Some(date(to)),
        facilities: vec![Facility::Cnms],
        files: Vec::new(),
        base_url: Some(server.base_url.clone()),
        without_trailer: false,
    };
    let summary = ingest::run(
        job("2021-07-02", "2021-07-07"),
        &lake,
        &test_config(),
        &NoProgress,
    )
    .await
    .unwrap();
    let report = &summary.reports[0];
    assert_eq!(
        (report.landed, report.missing, report.not_published),
        (2, 1, 0)
    );
    // Friday, Tuesday and Wednesday were asked for; not the weekend, not the holiday.
    let asked: Vec<String> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(path, _)| path.clone())
        .collect();
    assert_eq!(
        asked,
        vec![
            "/CNMSshvol20210702.txt",
            "/CNMSshvol20210706.txt",
            "/CNMSshvol20210707.txt"
        ]
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.starts_with("2021-07-05: NYSE closed (Independence Day")),
        "{:?}",
        summary.notes
    );
    assert!(summary.failure().is_none(), "some days landed");

    // A range whose every trading day is missing (a wrong base URL) landed nothing: a failure.
    let empty = tempfile::tempdir().unwrap();
    let summary = ingest::run(
        job("2021-07-07", "2021-07-09"),
        &Lake::new(empty.path()),
        &test_config(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(summary.reports[0].missing, 3);
    let failure = summary
        .failure()
        .expect("nothing landed is a failure")
        .to_string();
    assert!(failure.contains("3 files missing"), "{failure}");
}

#[tokio::test]
async fn an_unreachable_host_stops_the_run_at_once_and_names_the_cause() {
    // A port nobody listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let mut config = test_config();
    config.http.max_retries = Some(5);
    config.http.initial_backoff_ms = Some(1000);
    let started = Instant::now();
    let error = ingest::run(
        IngestJob::FinraShortVolume {
            date: None,
            from: Some(date("2024-01-02")),
            to: Some(date("2024-03-28")),
            facilities: vec![Facility::Cnms],
            files: Vec::new(),
            base_url: Some(format!("http://127.0.0.1:{port}")),
            without_trailer: false,
        },
        &lake,
        &config,
        &NoProgress,
    )
    .await
    .unwrap_err();
    // Five retries a second apart would take 31 s a day; a quarter, hours.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(error.is_unreachable(), "{error:?}");
    let line = error.chain_line();
    assert!(line.contains("cannot reach the host"), "{line}");
    assert!(line.to_lowercase().contains("connection refused"), "{line}");
    // The one attempt is in the log.
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT status, count(*) FROM ingest_log GROUP BY status"
        )
        .await,
        vec!["failed|1"]
    );
}

#[test]
fn warnings_carry_no_colour_codes_off_a_terminal() {
    let server = TestServer::start();
    // Two 503s, then the file: the client warns of each retry.
    let file = std::fs::read_to_string(fixture("finra/CNMSshvol20210802.txt")).unwrap();
    server.route(
        "/CNMSshvol20210802.txt",
        vec![Reply::status(503), Reply::status(503), Reply::ok(file)],
    );
    let lake = tempfile::tempdir().unwrap();
    let config = lake.path().join("whalewatch.toml");
    std::fs::write(
        &config,
        "[http]\ninitial_backoff_ms = 10\nmax_requests_per_second = 1000\n",
    )
    .unwrap();
    let output = whalewatch(
        &[
            "--lake",
            lake.path().join("lake").to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "ingest",
            "finra-short-volume",
            "--date",
            "2021-08-02",
            "--base-url",
            &server.base_url,
        ],
        &[("WHALEWATCH_LOG", "warn")],
    );
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("retrying in"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in {text:?}");
}

#[tokio::test]
async fn a_query_file_runs_through_the_library() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("data"), dir.path());
    let lake = Lake::open(&LakeLocation::new(
        dir.path().display().to_string(),
        LocationOrigin::Flag,
    ))
    .unwrap();
    let ctx = whalewatch::sql::open_session(&lake, &Default::default())
        .await
        .unwrap();
    let result = whalewatch::sql::run_query_file(
        &ctx,
        &repo().join("queries/dpi_leaders.sql"),
        &[("top".to_string(), "3".to_string())],
    )
    .await
    .unwrap();
    assert_eq!(result.rows(), 3);
    // Nothing the query ran wrote to the lake.
    let before = snapshot(dir.path());
    let _ = whalewatch::sql::run_query_file(&ctx, &repo().join("queries/dix.sql"), &[])
        .await
        .unwrap();
    assert_eq!(before, snapshot(dir.path()));
}
