//! The `whalewatch` binary as a user runs it: query files with typed parameters, output
//! formats, the listing commands, and one-line errors with a non-zero exit.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{copy_tree, repo};

fn whalewatch(lake: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whalewatch"))
        .current_dir(repo())
        .env("WHALEWATCH_LAKE", lake)
        // Float sums depend on the order rows meet; a fixed parallelism keeps the last digit fixed.
        .env("WHALEWATCH_THREADS", "2")
        .env_remove("WHALEWATCH_CONFIG")
        .args(args)
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

/// The single line a failing command prints, after checking that it failed.
fn error_line(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&output.stdout)
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

#[test]
fn dix_query_file_on_the_sample_lake() {
    let lake = sample_lake();
    let csv = stdout(&whalewatch(
        lake.path(),
        &["run", "queries/dix.sql", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,dix,dix_20d,members");
    assert_eq!(lines.len(), 20, "19 trading days of January 2021");
    // Independent computation (Python, from the raw fixtures): first and last day, and the
    // average of all 19 daily values (the 20-day window holds them all on the last day).
    assert_eq!(
        lines[1],
        "2021-01-04,0.6127686144441571,0.6127686144441571,3"
    );
    assert_eq!(
        lines[19],
        "2021-01-29,0.5549928448560686,0.5518392308969139,3"
    );

    let window = stdout(&whalewatch(
        lake.path(),
        &[
            "run",
            "queries/dix.sql",
            "-p",
            "from=2021-01-25",
            "-p",
            "to=2021-01-26",
            "--format",
            "ndjson",
        ],
    ));
    assert_eq!(window.lines().count(), 2);
    // The 20-day average of the first day shown still looks back before `from`: the same value
    // as in the full run (the mean of the 15 daily values from 2021-01-04 to 2021-01-25).
    assert!(
        window.starts_with(
            "{\"date\":\"2021-01-25\",\"dix\":0.5660710863005994,\"dix_20d\":0.5435355617046694,"
        ),
        "{window}"
    );
}

#[test]
fn dpi_leaders_binds_typed_parameters() {
    let lake = sample_lake();
    let json = stdout(&whalewatch(
        lake.path(),
        &[
            "run",
            "queries/dpi_leaders.sql",
            "-p",
            "top=1",
            "--format",
            "json",
        ],
    ));
    assert!(
        json.starts_with("[{\"symbol\":\"XRT\",\"dpi\":0.6773513055003094,"),
        "{json}"
    );

    let bad = error_line(&whalewatch(
        lake.path(),
        &["run", "queries/dpi_leaders.sql", "-p", "top=ten"],
    ));
    assert_eq!(
        bad,
        "error: query file queries/dpi_leaders.sql: parameter top: \"ten\" is not an integer"
    );
    let unknown = error_line(&whalewatch(
        lake.path(),
        &["run", "queries/dpi_leaders.sql", "-p", "limit=3"],
    ));
    assert!(
        unknown
            .contains("no parameter \"limit\"; this file takes: from, to, min_total_volume, top"),
        "{unknown}"
    );
}

#[test]
fn a_query_file_may_set_options_and_create_views_before_its_result() {
    let lake = sample_lake();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("multi.sql");
    std::fs::write(
        &file,
        "-- name: multi\n-- param: symbol text = XRT\nSET datafusion.execution.batch_size = 1024;\n\
         CREATE VIEW xrt AS SELECT * FROM short_volume_consolidated WHERE symbol = 'XRT';\n\
         SELECT count(*) AS days, max(symbol) AS symbol FROM xrt WHERE symbol = $symbol;\n",
    )
    .unwrap();
    let csv = stdout(&whalewatch(
        lake.path(),
        &["run", file.to_str().unwrap(), "--format", "csv"],
    ));
    assert_eq!(csv, "days,symbol\n19,XRT\n");
}

#[test]
fn a_parameter_is_a_value_not_sql() {
    let lake = sample_lake();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("holders.sql");
    std::fs::write(
        &file,
        "-- param: symbol text\nSELECT count(*) AS n FROM short_volume WHERE symbol = $symbol;\n",
    )
    .unwrap();
    let csv = stdout(&whalewatch(
        lake.path(),
        &[
            "run",
            file.to_str().unwrap(),
            "-p",
            "symbol=XRT' OR '1'='1",
            "--format",
            "csv",
        ],
    ));
    assert_eq!(csv, "n\n0\n");
    let missing = error_line(&whalewatch(lake.path(), &["run", file.to_str().unwrap()]));
    assert!(
        missing.ends_with("parameter symbol (text) is required: pass --param symbol=VALUE"),
        "{missing}"
    );
}

#[test]
fn output_to_a_parquet_file_reads_back() {
    let lake = sample_lake();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports/dix.parquet");
    let output = whalewatch(
        lake.path(),
        &[
            "run",
            "queries/dix.sql",
            "--format",
            "parquet",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let query = format!("SELECT count(*) FROM '{}'", out.display());
    let csv = stdout(&whalewatch(
        lake.path(),
        &["sql", &query, "--format", "csv"],
    ));
    assert_eq!(csv, "count(*)\n19\n");
}

#[test]
fn listing_commands() {
    let lake = sample_lake();
    let tables = stdout(&whalewatch(lake.path(), &["tables"]));
    for name in [
        "short_volume ",
        "bars ",
        "baskets ",
        "ingest_log ",
        "rejected_records ",
        "short_volume_consolidated ",
    ] {
        assert!(tables.contains(name), "{name} missing from {tables}");
    }
    let describe = stdout(&whalewatch(lake.path(), &["describe", "short_volume"]));
    assert!(
        describe.contains("partitioned by: date (Date32)"),
        "{describe}"
    );
    assert!(
        describe.contains("sorted by:      symbol, facility"),
        "{describe}"
    );
    let functions = stdout(&whalewatch(lake.path(), &["functions"]));
    assert!(
        functions.contains("dpi(short_volume, total_volume)")
            && functions.contains("dix(short_volume, total_volume, price)")
    );
    let dix = stdout(&whalewatch(lake.path(), &["functions", "dix"]));
    assert!(dix.contains("SqueezeMetrics"), "{dix}");
    // The table functions are listed too, as kind "table", and shown in full.
    for (name, syntax) in [
        ("holdings_asof", "holdings_asof(day)"),
        (
            "print_clusters",
            "print_clusters(window_ms [, 'anchored' | 'gap'])",
        ),
    ] {
        assert!(
            functions
                .lines()
                .any(|line| line.starts_with(syntax) && line.contains(" table ")),
            "{name} missing from {functions}"
        );
        let full = stdout(&whalewatch(lake.path(), &["functions", name]));
        assert!(
            full.starts_with(&format!("{syntax} (table function, ")),
            "{full}"
        );
        assert!(full.contains("Example:"), "{full}");
    }
}

#[test]
fn a_fresh_lake_answers_with_no_rows() {
    let empty = tempfile::tempdir().unwrap();
    stdout(&whalewatch(empty.path(), &["init"]));
    let csv = stdout(&whalewatch(
        empty.path(),
        &[
            "sql",
            "SELECT count(*) AS n FROM short_volume_consolidated",
            "--format",
            "csv",
        ],
    ));
    assert_eq!(csv, "n\n0\n");
    let csv = stdout(&whalewatch(
        empty.path(),
        &["run", "queries/dix.sql", "--format", "csv"],
    ));
    assert_eq!(csv, "date,dix,dix_20d,members\n");
}

#[test]
fn errors_are_one_line_and_fail() {
    let lake = sample_lake();
    let line = error_line(&whalewatch(
        lake.path(),
        &["sql", "SELECT * FROM no_such_table"],
    ));
    assert!(
        line.starts_with("error: ") && line.contains("no_such_table"),
        "{line}"
    );
    let line = error_line(&whalewatch(lake.path(), &["describe", "nope"]));
    assert_eq!(
        line,
        "error: no table \"nope\"; `whalewatch tables` lists them"
    );
    let line = error_line(&whalewatch(
        lake.path(),
        &[
            "ingest",
            "finra-short-volume",
            "--file",
            "data/samples/baskets.csv",
        ],
    ));
    assert_eq!(line, "error: data/samples/baskets.csv: cannot tell the facility from the file name; pass --facility CNMS|FNSQ|FNQC|FNYX|FNRA|FORF");
    let line = error_line(&whalewatch(
        lake.path(),
        &["run", "queries/dix.sql", "-p", "from=2021-13-01"],
    ));
    assert_eq!(line, "error: query file queries/dix.sql: parameter from: \"2021-13-01\" is not a YYYY-MM-DD date");
}

#[test]
fn a_failed_ingest_exits_non_zero_and_says_where() {
    let lake = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("CNMSshvol20210802.txt");
    std::fs::write(
        &file,
        "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n20210802|AAL|5|0|x|B\n1\n",
    )
    .unwrap();
    let output = whalewatch(
        lake.path(),
        &[
            "ingest",
            "finra-short-volume",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "failed: {}:2: field TotalVolume: \"x\" is not a non-negative number of shares",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: 1 of 1 sources failed"),
        "{stderr}"
    );
}

#[test]
fn an_equity_tape_ingest_says_what_it_voided_and_refused() {
    let lake = tempfile::tempdir().unwrap();
    let output = whalewatch(
        lake.path(),
        &[
            "ingest",
            "equity-trades",
            "--file",
            "tests/fixtures/equity_trades/taq_trades_2025-03-03.csv",
        ],
    );
    // Refused records do not fail a file that lands; they are counted and kept, and the exit
    // status (3) says some were refused. Voided prints alone would not make it 3.
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("5 prints voided by corrections and cancels did not land")
            && stderr.contains("1 of 1 sources landed, 16 rows written, 9 rows rejected"),
        "{stderr}"
    );
    let line = error_line(&whalewatch(
        lake.path(),
        &[
            "ingest",
            "equity-trades",
            "--file",
            "tests/fixtures/equity_trades/taq_trades_2025-03-03.csv",
            "--time-zone",
            "Mars/Olympus",
        ],
    ));
    assert!(
        line.contains("--time-zone \"Mars/Olympus\" is not a zone name"),
        "{line}"
    );
}

#[test]
fn the_declared_file_order_spares_a_per_symbol_window_its_sort() {
    let lake = sample_lake();
    let plan = stdout(&whalewatch(
        lake.path(),
        &[
            "sql",
            "EXPLAIN SELECT symbol, sum(short_volume) OVER (PARTITION BY symbol ORDER BY date) \
             FROM short_volume WHERE date = DATE '2021-08-02'",
            "--format",
            "csv",
        ],
    ));
    assert!(
        plan.contains("output_ordering=[symbol@0 ASC NULLS LAST, date@"),
        "{plan}"
    );
    assert!(
        plan.contains("BoundedWindowAggExec") && !plan.contains("SortExec"),
        "{plan}"
    );
}

#[test]
fn a_per_symbol_window_across_days_merges_the_sorted_files_instead_of_sorting() {
    // 24 days of bars: each file is scanned as its own partition and the partitions' orders
    // are merged by symbol and ts; nothing sorts, and the window streams.
    let lake = sample_lake();
    let plan = stdout(&whalewatch(
        lake.path(),
        &[
            "sql",
            "EXPLAIN SELECT symbol, obv(close, volume) OVER (PARTITION BY symbol ORDER BY ts) \
             FROM bars WHERE timeframe = '1d'",
            "--format",
            "csv",
        ],
    ));
    assert!(plan.contains("preserve_order=true"), "{plan}");
    assert!(
        plan.contains("BoundedWindowAggExec") && !plan.contains("SortExec"),
        "{plan}"
    );
}

#[test]
fn every_function_example_in_the_documentation_is_true_on_the_sample_lake() {
    let lake = sample_lake();
    // The table functions' examples too: `whalewatch functions` shows them beside the others.
    let docs = whalewatch_udfs::function_docs()
        .into_iter()
        .chain(whalewatch::catalog::table_function_docs());
    for doc in docs {
        let example = doc
            .documentation
            .sql_example
            .expect("every function has an example");
        let body = example
            .trim_start_matches("```sql")
            .trim_end_matches("```")
            .trim();
        let sql_end = body
            .find(";\n")
            .expect("the example's statement ends with ';'")
            + 1;
        let sql = body[..sql_end].trim_start_matches("> ");
        let expected = body[sql_end..].trim();
        let got = stdout(&whalewatch(lake.path(), &["sql", sql]));
        assert_eq!(got.trim(), expected, "the example of {}", doc.name);
    }
}
