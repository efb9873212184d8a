//! Bad input of every kind, as a user meets it through the binary: what it refuses (with file,
//! line and field), what still lands, the exit status (0 all landed, 3 landed but refused some,
//! 1 a source failed or nothing landed) and whether the lake changed. The README's reliability
//! table points here.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{query_rows, repo};

pub fn whalewatch(lake: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whalewatch"))
        .current_dir(repo())
        .env("WHALEWATCH_LAKE", lake)
        .env("WHALEWATCH_THREADS", "2")
        .env_remove("WHALEWATCH_CONFIG")
        .args(args)
        .output()
        .expect("run whalewatch")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Ingests `file` with `command`, checking the exit status; returns stderr.
pub fn ingest(lake: &Path, command: &str, file: &Path, extra: &[&str], status: i32) -> String {
    let mut args = vec![
        "ingest",
        command,
        "--file",
        file.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let output = whalewatch(lake, &args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(status), "{text}");
    text
}

fn daily_bars(rows: usize) -> Vec<String> {
    (0..rows)
        .map(|i| format!("2021-01-04,S{i:04},10,11,9,10.5,{}", 100 + i))
        .collect()
}

#[tokio::test]
async fn a_stray_quote_in_bars_costs_its_row_not_the_rest_and_exits_3() {
    let lake = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bars.csv");
    let mut rows = daily_bars(1000);
    rows[1] = "2021-01-04,\"S0001,10,11,9,10.5,101".to_string();
    std::fs::write(
        &file,
        format!(
            "Date,Symbol,Open,High,Low,Close,Volume\n{}\n",
            rows.join("\n")
        ),
    )
    .unwrap();
    let text = ingest(lake.path(), "bars", &file, &[], 3);
    assert!(text.contains("999 rows written, 1 rows rejected"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("warning: 1 records were refused"),
        "{text}"
    );
    let kept = query_rows(
        lake.path(),
        "SELECT line, reason, raw FROM rejected_records",
    )
    .await;
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0].starts_with("3|a quote that is not closed"),
        "{kept:?}"
    );
    assert!(
        kept[0].ends_with("|2021-01-04,\"S0001,10,11,9,10.5,101"),
        "{kept:?}"
    );
    let landed = query_rows(lake.path(), "SELECT count(*), max(symbol) FROM bars").await;
    assert_eq!(landed, vec!["999|S0999"]);
}

#[tokio::test]
async fn a_stray_quote_in_a_taq_tape_costs_its_row_not_the_rest() {
    let lake = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taq_trades_2025-03-03.csv");
    let mut text = String::from(
        "DATE,TIME_M,EX,SYM_ROOT,SYM_SUFFIX,TR_SCOND,SIZE,PRICE,TR_STOP_IND,TR_CORR,TR_SEQNUM,TR_ID,TR_SOURCE,TR_RF\n",
    );
    for i in 0..1915 {
        let symbol = if i == 2 { "\"AAPL" } else { "AAPL" };
        text.push_str(&format!(
            "2025-03-03,10:{:02}:{:02}.000000000,Q,{symbol},,@,100,241.5,N,00,{},{},N,\n",
            i / 60 % 60,
            i % 60,
            5000 + i,
            5000 + i
        ));
    }
    std::fs::write(&file, text).unwrap();
    let out = ingest(lake.path(), "equity-trades", &file, &[], 3);
    assert!(out.contains("1914 rows written, 1 rows rejected"), "{out}");
    let kept = query_rows(
        lake.path(),
        "SELECT line, field, reason FROM rejected_records",
    )
    .await;
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0].starts_with("4|NULL|a quote that is not closed"),
        "{kept:?}"
    );
}

#[test]
fn exit_status_is_0_when_everything_landed_and_1_when_nothing_did() {
    let lake = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bars.csv");
    std::fs::write(
        &file,
        format!(
            "Date,Symbol,Open,High,Low,Close,Volume\n{}\n",
            daily_bars(3).join("\n")
        ),
    )
    .unwrap();
    ingest(lake.path(), "bars", &file, &[], 0);
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Date,Symbol,Open,High,Low,Close,Volume\n2021-01-05,X,1,2,3,4,5\n",
    )
    .unwrap();
    let text = ingest(lake.path(), "bars", &bad, &[], 1);
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("error: nothing landed: 1 rows refused"),
        "{text}"
    );
}

/// Values that must never become part of a path: a parent step, a separator, a NUL byte, a
/// hidden name, and a walk out of the lake.
const HOSTILE: [&str; 5] = ["../x", "a/b", "a\0b", ".hidden", "../../../../elsewhere/x"];

/// Every file under `dir` but the provenance tables (which record the failure) and the lock.
fn data_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    crate::support::snapshot(dir)
        .into_iter()
        .filter(|(path, _)| {
            let text = path.to_string_lossy();
            !text.contains("ingest_log")
                && !text.contains("rejected_records")
                && !text.ends_with(".lock")
        })
        .collect()
}

/// A scratch directory holding a lake with FINRA's CNMS day in it: a hostile value must neither
/// touch that file nor write anything beside the lake.
fn lake_with_a_finra_day() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let lake = outer.path().join("lake");
    ingest(
        &lake,
        "finra-short-volume",
        &repo().join("tests/fixtures/finra/CNMSshvol20210802.txt"),
        &[],
        0,
    );
    (outer, lake)
}

#[test]
fn a_13f_accession_that_is_a_path_is_refused_and_nothing_is_written() {
    let (outer, lake) = lake_with_a_finra_day();
    let before = data_files(outer.path());
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/sec13f/0001140361-23-013281.txt"))
            .unwrap();
    for hostile in HOSTILE {
        let file = outer.path().join("filing.txt");
        let filing = text.replacen(
            "ACCESSION NUMBER:\t\t0001140361-23-013281",
            &format!("ACCESSION NUMBER:\t\t{hostile}"),
            1,
        );
        std::fs::write(&file, filing).unwrap();
        let out = ingest(&lake, "sec-13f", &file, &[], 1);
        assert!(
            out.contains("is not EDGAR's 0000000000-00-000000"),
            "{hostile:?}: {out}"
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(data_files(outer.path()), before, "{hostile:?}");
    }
}

#[test]
fn a_cboe_product_that_is_a_path_is_refused_and_nothing_is_written() {
    let (outer, lake) = lake_with_a_finra_day();
    let before = data_files(outer.path());
    for hostile in HOSTILE {
        let file = outer.path().join("putcall.csv");
        std::fs::write(
            &file,
            format!(
                "PRODUCT: {hostile}\nDATE,CALL,PUT,TOTAL,P/C Ratio\n11/1/2006,100,50,150,0.50\n"
            ),
        )
        .unwrap();
        let out = ingest(&lake, "cboe-put-call", &file, &[], 1);
        assert!(out.contains("is not a product name"), "{hostile:?}: {out}");
        std::fs::remove_file(&file).unwrap();
        assert_eq!(data_files(outer.path()), before, "{hostile:?}");
    }
}

#[test]
fn a_basket_name_that_is_a_path_is_refused_and_nothing_is_written() {
    let (outer, lake) = lake_with_a_finra_day();
    let before = data_files(outer.path());
    for hostile in HOSTILE {
        let file = outer.path().join("baskets.csv");
        std::fs::write(&file, format!("basket,symbol\n\"{hostile}\",AAPL\n")).unwrap();
        let out = ingest(&lake, "baskets", &file, &[], 1);
        assert!(
            out.contains("nothing landed: 1 rows refused"),
            "{hostile:?}: {out}"
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(data_files(outer.path()), before, "{hostile:?}");
        if !hostile.contains('\0') {
            let output = whalewatch(
                &lake,
                &[
                    "ingest",
                    "baskets",
                    "--file",
                    "tests/fixtures/finra/SOURCES.md",
                    "--name",
                    hostile,
                ],
            );
            assert_eq!(output.status.code(), Some(1));
            assert!(
                stderr(&output).contains("is not a basket name"),
                "{}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn a_bars_timeframe_that_is_a_path_is_refused_and_nothing_is_written() {
    let (outer, lake) = lake_with_a_finra_day();
    let before = data_files(outer.path());
    let file = outer.path().join("bars.csv");
    std::fs::write(
        &file,
        format!(
            "Date,Symbol,Open,High,Low,Close,Volume\n{}\n",
            daily_bars(2).join("\n")
        ),
    )
    .unwrap();
    for hostile in HOSTILE.iter().filter(|h| !h.contains('\0')) {
        let out = ingest(&lake, "bars", &file, &["--timeframe", hostile], 1);
        assert!(
            out.contains("write a number and a unit"),
            "{hostile:?}: {out}"
        );
    }
    std::fs::remove_file(&file).unwrap();
    assert_eq!(data_files(outer.path()), before);
}
