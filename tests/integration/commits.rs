//! A commit is all or nothing and a reader sees one committed state: a crash injected at every
//! write step of a commit that spans datasets, kill -9 at random times during a multi-source
//! ingest, and readers querying while ingests re-land the same sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

use crate::support::{copy_tree, fixture};

fn whalewatch(lake: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_whalewatch"));
    command
        .env("WHALEWATCH_LAKE", lake)
        .env("WHALEWATCH_THREADS", "2")
        .env_remove("WHALEWATCH_CONFIG")
        .args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run whalewatch")
}

/// What a reader of the lake sees, as one CSV line: the trades (rows, shares), the daily volume
/// derived from them in the same commit, and how many sources the log says landed.
const STATE: &str = "SELECT (SELECT count(*) FROM equity_trades) AS trades, \
    (SELECT sum(size) FROM equity_trades) AS shares, \
    (SELECT sum(volume) FROM equity_daily_volume) AS daily_volume, \
    (SELECT count(*) FROM ingest_log WHERE status = 'landed') AS landed";

fn state(lake: &Path) -> String {
    let output = whalewatch(lake, &["sql", STATE, "--format", "csv"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The line under the header.
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().nth(1).unwrap_or_default().to_string()
}

/// Rows a plain Parquet reader counts: every visible `.parquet` file under a dataset's directory
/// (what DuckDB's `read_parquet('lake/dataset/**/*.parquet')` reads).
fn plain_reader_rows(lake: &Path, dataset: &str) -> i64 {
    fn walk(dir: &Path, rows: &mut i64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, rows);
            } else if name.ends_with(".parquet") {
                let file = std::fs::File::open(&path).unwrap();
                let reader = SerializedFileReader::new(file).unwrap();
                *rows += reader.metadata().file_metadata().num_rows();
            }
        }
    }
    let mut rows = 0;
    walk(&lake.join(dataset), &mut rows);
    rows
}

/// The TAQ fixture as tape A, and tape B: the same prints with every size doubled, in a file of
/// the same name (so it replaces A's files), in its own directory.
fn tapes(dir: &Path) -> (PathBuf, PathBuf) {
    let original = fixture("equity_trades/taq_trades_2025-03-03.csv");
    let text = std::fs::read_to_string(&original).unwrap();
    let mut lines = text.lines();
    let mut doubled = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        if let Ok(size) = fields[6].parse::<u64>() {
            fields[6] = (size * 2).to_string();
        }
        doubled.push_str(&fields.join(","));
        doubled.push('\n');
    }
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let name = "taq_trades_2025-03-03.csv";
    std::fs::copy(&original, a.join(name)).unwrap();
    std::fs::write(b.join(name), doubled).unwrap();
    (a.join(name), b.join(name))
}

/// Rows landed: exit 0, or 3 when some records were refused (the TAQ fixture has such prints).
fn landed(output: &Output) -> bool {
    matches!(output.status.code(), Some(0 | 3))
}

fn ingest(lake: &Path, tape: &Path, env: &[(&str, String)]) -> Output {
    whalewatch(
        lake,
        &[
            "ingest",
            "equity-trades",
            "--file",
            &tape.display().to_string(),
        ],
        env,
    )
}

/// A crash (SIGKILL) or a failed write at each write step of a commit that replaces files of
/// two datasets and the ingest log: every time, a reader sees state A or state B, never a mix;
/// the log agrees with the data; re-running the ingest ends in state B with each row once, and a
/// plain Parquet reader counts the same rows.
#[test]
fn a_fault_at_any_write_step_leaves_the_old_state_or_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let (tape_a, tape_b) = tapes(dir.path());
    let lake_a = dir.path().join("lake-a");
    assert!(landed(&ingest(&lake_a, &tape_a, &[])));
    let state_a = state(&lake_a);

    // Count the steps of the second ingest (and learn state B).
    let counted = dir.path().join("counted");
    copy_tree(&lake_a, &counted);
    let trace = dir.path().join("trace");
    let output = ingest(
        &counted,
        &tape_b,
        &[("WHALEWATCH_FAULT_TRACE", trace.display().to_string())],
    );
    assert!(landed(&output));
    let state_b = state(&counted);
    assert_ne!(state_a, state_b);
    let steps = std::fs::read_to_string(&trace).unwrap();
    let step_count = steps.lines().count();
    // Data files of two datasets, the ingest log's, the snapshot, and what follows the commit.
    assert!(step_count >= 8, "{steps}");
    assert!(steps.contains("the commit point"), "{steps}");

    let mut outcomes = BTreeMap::new();
    for action in ["kill", "error"] {
        for at in 1..=step_count {
            let lake = dir.path().join(format!("lake-{action}-{at}"));
            copy_tree(&lake_a, &lake);
            let output = ingest(
                &lake,
                &tape_b,
                &[
                    ("WHALEWATCH_FAULT_AT", at.to_string()),
                    ("WHALEWATCH_FAULT", action.to_string()),
                ],
            );
            let seen = state(&lake);
            let which = if seen == state_a {
                "A"
            } else if seen == state_b {
                "B"
            } else {
                panic!(
                    "{action} at step {at}: a mixed state {seen:?} (A {state_a:?}, B {state_b:?})"
                )
            };
            if action == "kill" {
                assert_eq!(
                    std::os::unix::process::ExitStatusExt::signal(&output.status),
                    Some(9),
                    "killed at step {at}"
                );
            } else if which == "A" {
                assert_eq!(output.status.code(), Some(1), "a failed commit exits 1");
            }
            *outcomes.entry((action, which)).or_insert(0) += 1;

            // Re-running lands B exactly once, and a plain Parquet reader agrees.
            let rerun = ingest(&lake, &tape_b, &[]);
            assert!(
                landed(&rerun),
                "{action} at {at}: {}",
                String::from_utf8_lossy(&rerun.stderr)
            );
            // (The re-run lands the source again if the killed run had landed it: one more log
            // row, the same data.)
            let data = |state: &str| state.rsplit_once(',').unwrap().0.to_string();
            assert_eq!(
                data(&state(&lake)),
                data(&state_b),
                "{action} at step {at}, re-run"
            );
            let trades: i64 = state_b.split(',').next().unwrap().parse().unwrap();
            assert_eq!(plain_reader_rows(&lake, "equity_trades"), trades);
            assert_eq!(
                plain_reader_rows(&lake, "equity_daily_volume"),
                plain_reader_rows(&lake_a, "equity_daily_volume")
            );
            let _ = std::fs::remove_dir_all(&lake);
        }
    }
    // Faults before the commit point leave A, after it B: both happened.
    for which in ["A", "B"] {
        assert!(
            outcomes.contains_key(&("kill", which)),
            "{outcomes:?} over {step_count} steps"
        );
    }
    eprintln!("{step_count} steps: {outcomes:?}\n{steps}");
}

/// FINRA files of several days each (one source, many date partitions), as published (A) and
/// with every volume doubled (B), in directories of their own.
fn finra_sources(dir: &Path, doubled: bool) -> Vec<PathBuf> {
    let target = dir.join(if doubled { "finra-b" } else { "finra-a" });
    std::fs::create_dir_all(&target).unwrap();
    let mut sources = Vec::new();
    for facility in ["FNQC", "FNSQ", "FNYX"] {
        let name = format!("{facility}_XRT_IWM_VTI_2021-01.txt");
        let text = std::fs::read_to_string(fixture(&format!("finra/{name}"))).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            let mut fields: Vec<String> = line.split('|').map(str::to_string).collect();
            if doubled && fields.len() == 6 && fields[0].bytes().all(|b| b.is_ascii_digit()) {
                for at in [2, 4] {
                    fields[at] = (fields[at].parse::<u64>().unwrap() * 2).to_string();
                }
            }
            out.push_str(&fields.join("|"));
            out.push('\n');
        }
        let to = target.join(name);
        std::fs::write(&to, out).unwrap();
        sources.push(to);
    }
    sources
}

/// Per FINRA source, the days it covers as a reader sees them; the days the log says landed.
const FINRA_STATE: &str = "SELECT facility, count(DISTINCT date) AS days, count(*) AS rows, \
    sum(total_volume) AS volume FROM short_volume GROUP BY facility ORDER BY facility";

fn finra_ingest_args(sources: &[PathBuf]) -> Vec<String> {
    // The fixtures are cut from FINRA's files, without their record-count trailer.
    let mut args = vec![
        "ingest".to_string(),
        "finra-short-volume".to_string(),
        "--without-trailer".to_string(),
    ];
    for source in sources {
        args.push("--file".to_string());
        args.push(source.display().to_string());
    }
    args
}

/// kill -9 at random moments of a three-source ingest, `WHALEWATCH_RANDOM_KILLS` times (200 for
/// the record, 12 by default), half into an empty lake and half re-landing changed sources over
/// a full one: after each kill every source is wholly old or wholly new and, on the empty lake,
/// the log lists exactly the sources a reader sees; re-running always ends in the new state with
/// each row once, as a plain Parquet reader counts too.
#[test]
fn random_kills_during_an_ingest_never_leave_a_mixture() {
    let kills: usize = std::env::var("WHALEWATCH_RANDOM_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let args_of = |sources: Vec<PathBuf>| finra_ingest_args(&sources);
    let (args_a, args_b) = (
        args_of(finra_sources(dir.path(), false)),
        args_of(finra_sources(dir.path(), true)),
    );
    let as_str = |args: &[String]| args.iter().map(String::to_string).collect::<Vec<_>>();
    let run = |lake: &Path, args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = whalewatch(lake, &args, &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };

    // Both whole states, and how long a clean ingest takes.
    let lake_a = dir.path().join("clean-a");
    let started = Instant::now();
    run(&lake_a, &args_a);
    let duration = started.elapsed();
    let full_a = facility_states(&lake_a);
    assert_eq!(full_a.len(), 3, "{full_a:?}");
    let lake_b = dir.path().join("clean-b");
    copy_tree(&lake_a, &lake_b);
    run(&lake_b, &args_b);
    let full_b = facility_states(&lake_b);
    let rows = plain_reader_rows(&lake_a, "short_volume");

    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut landed_counts = BTreeMap::new();
    for kill in 0..kills {
        let lake = dir.path().join(format!("kill-{kill}"));
        let relanding = kill % 2 == 1;
        if relanding {
            copy_tree(&lake_a, &lake);
        }
        let args = as_str(if relanding { &args_b } else { &args_a });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % (duration.as_micros() as u64 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_whalewatch"))
            .env("WHALEWATCH_LAKE", &lake)
            .env_remove("WHALEWATCH_CONFIG")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        if !lake.exists() {
            continue;
        }
        let seen = facility_states(&lake);
        for (facility, line) in &seen {
            let whole = Some(line) == full_a.get(facility) || Some(line) == full_b.get(facility);
            assert!(whole, "kill {kill}: {facility} mixed: {line}");
        }
        if !relanding {
            let landed = landed_sources(&lake);
            assert_eq!(
                landed.len(),
                seen.len(),
                "kill {kill}: log {landed:?}, data {seen:?}"
            );
            *landed_counts.entry(landed.len()).or_insert(0) += 1;
        }
        run(&lake, &args);
        let expected = if relanding { &full_b } else { &full_a };
        assert_eq!(
            &facility_states(&lake),
            expected,
            "kill {kill}: after re-run"
        );
        assert_eq!(plain_reader_rows(&lake, "short_volume"), rows);
        let _ = std::fs::remove_dir_all(&lake);
    }
    eprintln!("{kills} kills; sources landed when killed (empty lakes): {landed_counts:?}");
}

fn facility_states(lake: &Path) -> BTreeMap<String, String> {
    let output = whalewatch(lake, &["sql", FINRA_STATE, "--format", "csv"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let (facility, rest) = line.split_once(',').unwrap();
            (facility.to_string(), rest.to_string())
        })
        .collect()
}

fn landed_sources(lake: &Path) -> BTreeSet<String> {
    let output = whalewatch(
        lake,
        &[
            "sql",
            "SELECT DISTINCT source FROM ingest_log WHERE status = 'landed'",
            "--format",
            "csv",
        ],
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// One statement, so one snapshot: each facility's rows and volume as a reader sees them, and
/// every landed log row of the FINRA sources.
const READER_QUERY: &str = "\
    SELECT 'data' AS kind, facility AS name, \
        CAST(count(*) AS VARCHAR) || '/' || CAST(sum(total_volume) AS VARCHAR) AS value \
    FROM short_volume GROUP BY facility \
    UNION ALL \
    SELECT 'log', source, CAST(CAST(finished_at AS BIGINT) AS VARCHAR) \
    FROM ingest_log WHERE status = 'landed' AND dataset = 'short_volume'";

/// Readers query without pause while a writer re-lands three multi-day FINRA sources, flipping
/// their content each time, at least 50 times and until the readers have run 1,000 queries.
/// Every answer is a committed state: each facility wholly old or wholly new, and the version
/// the newest log row names; no query fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_see_one_committed_state_while_ingests_re_land_sources() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use whalewatch::collect::finra::short_volume::ingest_files;
    use whalewatch::lake::Lake;

    let dir = tempfile::tempdir().unwrap();
    let (sources_a, sources_b) = (
        finra_sources(dir.path(), false),
        finra_sources(dir.path(), true),
    );
    let root = dir.path().join("lake");
    let lake = Lake::new(&root);
    // Each version's whole answer per facility, from lakes of their own.
    let whole = |sources: &[PathBuf], name: &str| {
        let other = Lake::new(dir.path().join(name));
        ingest_files(&other, sources, None, false).unwrap();
        other
    };
    let (only_a, only_b) = (whole(&sources_a, "only-a"), whole(&sources_b, "only-b"));
    let data_of = |rows: Vec<String>| -> BTreeMap<String, String> {
        rows.into_iter()
            .filter_map(|row| {
                let fields: Vec<&str> = row.split('|').collect();
                (fields[0] == "data").then(|| (fields[1].to_string(), fields[2].to_string()))
            })
            .collect()
    };
    let full_a = data_of(crate::support::query_rows(only_a.root(), READER_QUERY).await);
    let full_b = data_of(crate::support::query_rows(only_b.root(), READER_QUERY).await);
    assert_eq!(full_a.len(), 3);
    ingest_files(&lake, &sources_a, None, false).unwrap();

    let queries = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (queries, stop, lake) = (Arc::clone(&queries), Arc::clone(&stop), lake.clone());
        std::thread::spawn(move || {
            let mut reingests = 0;
            while reingests < 50 || queries.load(Ordering::SeqCst) < 1000 {
                let sources = if reingests % 2 == 0 {
                    &sources_b
                } else {
                    &sources_a
                };
                let report = ingest_files(&lake, sources, None, false).unwrap();
                assert_eq!(report.landed, 3, "{:?}", report.failures);
                reingests += 1;
                if reingests > 2000 {
                    break;
                }
            }
            stop.store(true, Ordering::SeqCst);
            reingests
        })
    };
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (queries, stop, root) = (Arc::clone(&queries), Arc::clone(&stop), root.clone());
        let (full_a, full_b) = (full_a.clone(), full_b.clone());
        readers.push(tokio::spawn(async move {
            let ctx = whalewatch::sql::open_session(
                &Lake::new(&root),
                &whalewatch::sql::SessionSettings {
                    threads: Some(2),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let mut seen_versions = BTreeSet::new();
            while !stop.load(Ordering::SeqCst) {
                let result = whalewatch::sql::run_script(&ctx, READER_QUERY, None)
                    .await
                    .unwrap_or_else(|e| panic!("query failed during an ingest: {e}"));
                let rows = crate::slt::render_rows(&result.batches);
                // The newest landed log row of each facility's file says which version it holds.
                let mut newest: BTreeMap<String, (i64, String)> = BTreeMap::new();
                for row in rows.iter().filter(|r| r[0] == "log") {
                    let file = row[1].rsplit('/').next().unwrap()[..4].to_string();
                    let version = if row[1].contains("finra-b") { "B" } else { "A" };
                    let at: i64 = row[2].parse().unwrap();
                    if newest.get(&file).is_none_or(|(t, _)| at > *t) {
                        newest.insert(file, (at, version.to_string()));
                    }
                }
                for row in rows.iter().filter(|r| r[0] == "data") {
                    let (facility, value) = (&row[1], &row[2]);
                    let version = if full_a.get(facility) == Some(value) {
                        "A"
                    } else if full_b.get(facility) == Some(value) {
                        "B"
                    } else {
                        panic!("{facility}: a mixed answer {value} (A {full_a:?}, B {full_b:?})")
                    };
                    if let Some((_, logged)) = newest.get(facility) {
                        assert_eq!(logged, version, "{facility}: data and log disagree");
                    }
                    seen_versions.insert(version);
                }
                queries.fetch_add(1, Ordering::SeqCst);
            }
            seen_versions
        }));
    }
    let mut versions = BTreeSet::new();
    for reader in readers {
        versions.extend(reader.await.unwrap());
    }
    let reingests = writer.join().unwrap();
    let queries = queries.load(Ordering::SeqCst);
    assert!(
        reingests >= 50 && queries >= 1000,
        "{reingests} re-ingests, {queries} queries"
    );
    assert_eq!(versions.len(), 2, "readers saw both versions: {versions:?}");
    eprintln!("{reingests} re-ingests, {queries} queries, 0 errors, 0 mixed answers");
}
