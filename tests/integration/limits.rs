//! Queries with limits (issue 14, part 4): a memory pool that spills and fails one query alone,
//! results written as they come, deep expressions refused with an error, and statements that
//! write files refused inside the lake (and everywhere in a session that writes none).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use whalewatch::sql::{FileWrites, MemoryLimit, SessionSettings};

use crate::support::{copy_tree, repo};

fn whalewatch_command(lake: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_whalewatch"));
    command
        .current_dir(repo())
        .env("WHALEWATCH_LAKE", lake)
        .env("WHALEWATCH_THREADS", "2")
        .env_remove("WHALEWATCH_CONFIG")
        .env_remove("WHALEWATCH_MEMORY_LIMIT")
        .env_remove("WHALEWATCH_SPILL_DIR")
        .args(args);
    command
}

fn whalewatch(lake: &Path, args: &[&str]) -> Output {
    whalewatch_command(lake, args)
        .output()
        .expect("run whalewatch")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one line a failing command prints, after checking it exited 1 (not killed by a signal).
fn error_line(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "should exit 1: {:?}, stderr {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not {stderr:?}");
    lines[0].to_string()
}

fn sample_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("data"), dir.path());
    dir
}

/// Every file under `dir` with its size and content hash, to show a lake unchanged.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
}

async fn session(lake: &Path, settings: SessionSettings) -> datafusion::prelude::SessionContext {
    whalewatch::sql::open_session(&whalewatch::lake::Lake::new(lake), &settings)
        .await
        .expect("session")
}

fn count(result: &whalewatch::sql::QueryResult) -> String {
    crate::slt::render_rows(&result.batches)[0][0].clone()
}

/// A query that needs more than the pool fails with the limit and how to raise it; the
/// process exits 1 rather than aborting.
#[test]
fn an_oversized_query_fails_naming_the_limit() {
    let lake = sample_lake();
    let line = error_line(&whalewatch(
        lake.path(),
        &[
            "--memory-limit",
            "50MB",
            "sql",
            "SELECT array_agg(value) FROM generate_series(1, 20000000)",
        ],
    ));
    assert!(
        line.starts_with("error: the query needs more memory than its limit of 47.7 MiB"),
        "{line}"
    );
    assert!(line.contains("--memory-limit SIZE"), "{line}");
    assert!(line.contains("[query]"), "{line}");
    // The cause names the operator that asked.
    assert!(line.contains("AggregateStream"), "{line}");

    // The same limit from the config file; a wrong one is said with its file.
    let config = lake.path().join("whalewatch.toml");
    std::fs::write(&config, "[query]\nmemory_limit = \"50MB\"\n").unwrap();
    let config_arg = config.to_str().unwrap();
    let line = error_line(&whalewatch(
        lake.path(),
        &[
            "--config",
            config_arg,
            "sql",
            "SELECT array_agg(value) FROM generate_series(1, 20000000)",
        ],
    ));
    assert!(line.contains("limit of 47.7 MiB"), "{line}");
    std::fs::write(&config, "[query]\nmemory_limit = \"lots\"\n").unwrap();
    let line = error_line(&whalewatch(
        lake.path(),
        &["--config", config_arg, "sql", "SELECT 1"],
    ));
    assert!(line.contains("[query] memory_limit in"), "{line}");
    assert!(line.contains("4GiB, 500MB"), "{line}");
    // A wrong flag is a usage error.
    let wrong = whalewatch(lake.path(), &["--memory-limit", "lots", "sql", "SELECT 1"]);
    assert_eq!(wrong.status.code(), Some(2));
}

/// In one session, the query over the limit fails and the next one runs.
#[tokio::test]
async fn an_oversized_query_fails_alone() {
    let lake = sample_lake();
    let ctx = session(
        lake.path(),
        SessionSettings {
            threads: Some(2),
            memory_limit: MemoryLimit::Bytes(50 << 20),
            ..Default::default()
        },
    )
    .await;
    let error = whalewatch::sql::run_script(
        &ctx,
        "SELECT array_agg(value) FROM generate_series(1, 20000000)",
        None,
    )
    .await
    .err()
    .expect("over the limit");
    assert!(
        matches!(error, whalewatch::Error::MemoryLimit { .. }),
        "{}",
        error.chain_line()
    );
    let result = whalewatch::sql::run_script(&ctx, "SELECT count(*) FROM bars", None)
        .await
        .expect("the next query");
    assert_eq!(count(&result), "5977");
}

/// A sort larger than the pool spills (to the directory given) and finishes.
#[test]
fn a_sort_larger_than_the_limit_spills() {
    let lake = sample_lake();
    let spill = tempfile::tempdir().unwrap();
    let spill_dir = spill.path().join("spill");
    let out = stdout(&whalewatch(
        lake.path(),
        &[
            "--memory-limit",
            "20MB",
            "--spill-dir",
            spill_dir.to_str().unwrap(),
            "sql",
            "EXPLAIN ANALYZE SELECT value FROM generate_series(1, 2000000) ORDER BY value DESC",
            "--format",
            "csv",
        ],
    ));
    let sort = out
        .split("SortExec")
        .nth(1)
        .expect("a SortExec in the plan");
    let spills: u64 = sort
        .split("spill_count=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("spill_count");
    assert!(spills > 0, "the sort did not spill: {out}");
    assert!(spill_dir.is_dir(), "the spill directory is made");
}

/// The peak resident memory of a child, polled until it exits.
fn peak_rss_kib(child: &mut std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(exit) = child.try_wait().expect("wait") {
            return (exit, peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 20 M rows (160 MB of values, 169 MB of CSV) go to a file without being held: the process
/// stays far below what holding them would take.
#[test]
fn results_stream_to_a_file_under_a_low_memory_limit() {
    let lake = sample_lake();
    let out = tempfile::tempdir().unwrap();
    let csv = out.path().join("series.csv");
    let mut child = whalewatch_command(
        lake.path(),
        &[
            "--memory-limit",
            "64MB",
            "sql",
            "SELECT * FROM generate_series(1, 20000000)",
            "--format",
            "csv",
            "--output",
            csv.to_str().unwrap(),
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .expect("run whalewatch");
    let (status, peak) = peak_rss_kib(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("20000000 rows in"), "{stderr}");
    // Holding the result took 160 MB of values plus 169 MB of text over the binary's own.
    assert!(
        peak < 250 * 1024,
        "peak resident memory {} MiB",
        peak / 1024
    );
    let mut lines = 0u64;
    let mut last = String::new();
    for line in BufReader::new(std::fs::File::open(&csv).unwrap()).lines() {
        last = line.unwrap();
        lines += 1;
    }
    assert_eq!(lines, 20_000_001);
    assert_eq!(last, "20000000");
    // Nothing but the result is left beside it.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}

/// Rows reach standard output as they come, and a reader that goes away ends the query (a
/// billion rows would take 8 GB held whole).
#[test]
fn standard_output_streams_and_a_closed_pipe_ends_the_query() {
    let lake = sample_lake();
    let started = Instant::now();
    let mut child = whalewatch_command(
        lake.path(),
        &[
            "sql",
            "SELECT * FROM generate_series(1, 1000000000)",
            "--format",
            "csv",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("run whalewatch");
    // Held whole, the result would grow to 8 GB: a watchdog ends the child after a minute.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (done, pid) = (std::sync::Arc::clone(&done), child.id());
        std::thread::spawn(move || {
            while started.elapsed() < Duration::from_secs(60) {
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        })
    };
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        first.push(line.trim_end().to_string());
    }
    assert_eq!(first, ["value", "1", "2"]);
    drop(reader);
    let (status, _) = peak_rss_kib(&mut child);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watchdog.join();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// A chain of 4,000 terms and 4,000 nested parentheses are errors (exit 1, one line), not a
/// stack overflow; 300 and 1,000 terms still run.
#[test]
fn deep_expressions_fail_with_an_error() {
    let lake = sample_lake();
    let chain = |n: usize| format!("SELECT {}", vec!["1"; n].join("+"));
    let line = error_line(&whalewatch(lake.path(), &["sql", &chain(4000)]));
    assert!(line.contains("nest more than 1000 levels deep"), "{line}");
    let parens = format!("SELECT {}1{}", "(".repeat(4000), ")".repeat(4000));
    let line = error_line(&whalewatch(lake.path(), &["sql", &parens]));
    assert!(
        line.contains("more than 50 levels of parentheses"),
        "{line}"
    );
    let ors = format!(
        "SELECT count(*) FROM bars WHERE {}",
        (0..4000)
            .map(|i| format!("volume = {i}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let line = error_line(&whalewatch(lake.path(), &["sql", &ors]));
    assert!(line.contains("IN (…)"), "{line}");
    for n in [300, 1000] {
        let out = stdout(&whalewatch(
            lake.path(),
            &["sql", &chain(n), "--format", "csv"],
        ));
        assert_eq!(
            out.lines().nth(1),
            Some(n.to_string().as_str()),
            "{n} terms"
        );
    }
    let ors = format!(
        "SELECT count(*) FROM bars WHERE {}",
        (0..490)
            .map(|i| format!("volume = {i}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let out = stdout(&whalewatch(lake.path(), &["sql", &ors, "--format", "csv"]));
    assert_eq!(out, "count(*)\n0\n");
}

/// COPY and INSERT into the lake are refused, however the path is spelled, and the lake is
/// left byte for byte; COPY elsewhere works.
#[test]
fn statements_that_write_into_the_lake_are_refused() {
    let lake = sample_lake();
    let root = lake.path();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("bars"), elsewhere.path().join("into-bars")).unwrap();
    let before = tree(root);
    let lake_name = root.file_name().unwrap().to_str().unwrap();
    let partition = root.join("bars/date=2021-01-06/copy.parquet");
    let attempts = [
        format!("COPY (SELECT * FROM bars) TO '{}'", partition.display()),
        format!(
            "COPY (SELECT * FROM bars) TO 'file://{}'",
            partition.display()
        ),
        format!(
            "COPY (SELECT 1 AS a) TO '{}/../{lake_name}/x.csv'",
            root.display()
        ),
        format!(
            "COPY bars TO '{}/into-bars/date=2021-01-06/y.parquet'",
            elsewhere.path().display()
        ),
        format!(
            "COPY (SELECT * FROM bars) TO '{}/bars/' STORED AS PARQUET PARTITIONED BY (date)",
            root.display()
        ),
        format!(
            "EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{}/x.csv'",
            root.display()
        ),
    ];
    for sql in &attempts {
        let line = error_line(&whalewatch(root, &["sql", sql]));
        assert!(line.contains("refused"), "{sql}: {line}");
        assert!(line.contains("inside the lake"), "{sql}: {line}");
        assert!(line.contains("whalewatch ingest"), "{sql}: {line}");
    }
    let line = error_line(&whalewatch(
        root,
        &["sql", "INSERT INTO bars SELECT * FROM bars"],
    ));
    assert!(line.contains("INSERT INTO bars refused"), "{line}");
    assert!(line.contains("whalewatch ingest"), "{line}");
    let external = format!(
        "CREATE EXTERNAL TABLE mine (a BIGINT) STORED AS PARQUET LOCATION '{}/mine/'; \
         INSERT INTO mine VALUES (1)",
        root.display()
    );
    let line = error_line(&whalewatch(root, &["sql", &external]));
    assert!(line.contains("INSERT INTO mine refused"), "{line}");
    assert!(line.contains("inside the lake"), "{line}");
    assert!(tree(root) == before, "the lake changed");

    // Outside the lake: COPY, and INSERT into an external table.
    let report = elsewhere.path().join("reports/bars.csv");
    let out = stdout(&whalewatch(
        root,
        &[
            "sql",
            &format!(
                "COPY (SELECT symbol FROM bars ORDER BY symbol LIMIT 2) TO '{}'",
                report.display()
            ),
            "--format",
            "csv",
        ],
    ));
    assert_eq!(out, "count\n2\n");
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .starts_with("symbol\n"));
    let table = format!(
        "CREATE EXTERNAL TABLE mine (a BIGINT) STORED AS PARQUET LOCATION '{}/mine/'; \
         INSERT INTO mine VALUES (1), (2); SELECT count(*) FROM mine",
        elsewhere.path().display()
    );
    let out = stdout(&whalewatch(root, &["sql", &table, "--format", "csv"]));
    assert_eq!(out, "count(*)\n2\n");
}

/// A session that writes no files (the server's) refuses COPY and INSERT into files anywhere,
/// and still changes in-memory tables.
#[tokio::test]
async fn a_session_can_refuse_every_file_write() {
    let lake = sample_lake();
    let ctx = session(
        lake.path(),
        SessionSettings {
            threads: Some(2),
            file_writes: FileWrites::Refused,
            ..Default::default()
        },
    )
    .await;
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("out.csv");
    for sql in [
        format!("COPY (SELECT 1 AS a) TO '{}'", target.display()),
        format!(
            "CREATE EXTERNAL TABLE mine (a BIGINT) STORED AS PARQUET LOCATION '{}/mine/'; \
             INSERT INTO mine VALUES (1)",
            elsewhere.path().display()
        ),
    ] {
        let error = whalewatch::sql::run_script(&ctx, &sql, None)
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(&error, whalewatch::Error::WriteRefused(m) if m.contains("writes no files")),
            "{sql}: {error}"
        );
    }
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    let result = whalewatch::sql::run_script(
        &ctx,
        "CREATE TABLE m AS VALUES (1); INSERT INTO m VALUES (2); SELECT count(*) FROM m",
        None,
    )
    .await
    .expect("in memory");
    assert_eq!(count(&result), "2");

    // The default session writes outside the lake.
    let ctx = session(lake.path(), SessionSettings::default()).await;
    whalewatch::sql::run_script(
        &ctx,
        &format!("COPY (SELECT 1 AS a) TO '{}'", target.display()),
        None,
    )
    .await
    .expect("COPY outside the lake");
    assert!(target.is_file());
}

/// Each statement lists a table's files afresh: a file added between two statements of one
/// session is read by the second (DataFusion's list-files cache would hide it).
#[tokio::test]
async fn each_statement_lists_files_afresh() {
    let lake = sample_lake();
    let ctx = session(lake.path(), SessionSettings::default()).await;
    assert!(ctx
        .runtime_env()
        .cache_manager
        .get_list_files_cache()
        .is_none());
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t");
    let run = |sql: String| {
        let ctx = ctx.clone();
        async move {
            whalewatch::sql::run_script(&ctx, &sql, None)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {}", e.chain_line()))
        }
    };
    run(format!(
        "COPY (SELECT 1 AS a) TO '{}/one.parquet'",
        table.display()
    ))
    .await;
    run(format!(
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '{}/'",
        table.display()
    ))
    .await;
    assert_eq!(count(&run("SELECT count(*) FROM t".into()).await), "1");
    run(format!(
        "COPY (SELECT 2 AS a) TO '{}/two.parquet'",
        table.display()
    ))
    .await;
    assert_eq!(count(&run("SELECT count(*) FROM t".into()).await), "2");
}
