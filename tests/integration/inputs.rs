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

/// One kind of bad input for the README's reliability table: the file an ingest reads, its exit
/// status, a piece of its message, and the refused records kept.
struct Case {
    kind: &'static str,
    command: &'static str,
    file: &'static str,
    content: Vec<u8>,
    status: i32,
    message: &'static str,
    refused: usize,
}

const BARS_HEADER: &str = "Date,Symbol,Open,High,Low,Close,Volume\n";
const TAQ_HEADER: &str =
    "DATE,TIME_M,EX,SYM_ROOT,SYM_SUFFIX,TR_SCOND,SIZE,PRICE,TR_STOP_IND,TR_CORR,TR_SEQNUM,TR_ID,TR_SOURCE,TR_RF\n";
const FINRA_HEADER: &str = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n";
const CBOE_HEADER: &str = "DATE,CALL,PUT,TOTAL,P/C Ratio\n";

fn bars(bad: &str) -> Vec<u8> {
    format!(
        "{BARS_HEADER}2021-01-04,GOOD,10,11,9,10.5,100\n{bad}\n2021-01-05,GOOD,10,11,9,10.5,100\n"
    )
    .into_bytes()
}

fn taq(bad: &str) -> Vec<u8> {
    format!(
        "{TAQ_HEADER}2025-03-03,10:00:00.000000000,Q,AAPL,,@,100,241.5,N,00,1,1,N,\n{bad}\n\
         2025-03-03,10:00:02.000000000,Q,AAPL,,@,100,241.5,N,00,3,3,N,\n"
    )
    .into_bytes()
}

fn finra(bad: &str) -> Vec<u8> {
    format!("{FINRA_HEADER}20210802|AAL|5|0|10|B\n{bad}\n2\n").into_bytes()
}

fn cboe(bad: &str) -> Vec<u8> {
    format!("PRODUCT: TOTAL\n{CBOE_HEADER}11/1/2006,100,50,150,0.50\n{bad}\n").into_bytes()
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(70 << 10);
    let case = |kind, command, file, content, status, message, refused| Case {
        kind,
        command,
        file,
        content,
        status,
        message,
        refused,
    };
    let mut not_utf8 = bars("2021-01-04,BAD,10,11,9,10.5,100");
    let at = not_utf8.windows(3).position(|w| w == b"BAD").unwrap();
    not_utf8[at] = 0xff;
    vec![
        case("bars: unclosed quote on the last line", "bars", "bars.csv", bars("2021-01-04,\"BAD,10,11,9,10.5,100"), 3, "a quote that is never closed", 1),
        case("bars: stray quote closed lines later", "bars", "bars.csv", format!("{BARS_HEADER}\"2021-01-04,A,10,11,9,10.5,100\n2021-01-05,B,10,11,9,10.5,100\n2021-01-06,\"C,10,11,9,10.5,100\n2021-01-07,D,10,11,9,10.5,100\n").into_bytes(), 3, "not closed on its line", 2),
        case("bars: record over 64 KiB", "bars", "bars.csv", bars(&format!("2021-01-04,{long},10,11,9,10.5,100")), 3, "KiB a record may have", 1),
        case("bars: NUL byte in a field", "bars", "bars.csv", bars("2021-01-04,BA\0D,10,11,9,10.5,100"), 3, "NUL byte", 1),
        case("bars: record not UTF-8", "bars", "bars.csv", not_utf8, 3, "not UTF-8", 1),
        case("bars: year 0000", "bars", "bars.csv", bars("0000-01-04,BAD,10,11,9,10.5,100"), 3, "outside the years 1900–2200", 1),
        case("bars: year 9999", "bars", "bars.csv", bars("9999-12-31,BAD,10,11,9,10.5,100"), 3, "outside the years 1900–2200", 1),
        case("bars: volume 1e300", "bars", "bars.csv", bars("2021-01-04,BAD,10,11,9,10.5,1e300"), 3, "beyond the bound", 1),
        case("bars: price 1e12", "bars", "bars.csv", bars("2021-01-04,BAD,1e12,1e12,1e12,1e12,100"), 3, "beyond the bound", 1),
        case("bars: UTF-8 byte-order mark", "bars", "bars.csv", [&b"\xEF\xBB\xBF"[..], &bars("2021-01-04,OK,10,11,9,10.5,100")].concat(), 0, "3 rows written, 0 rows rejected", 0),
        case("bars: unclosed quote in the header", "bars", "bars.csv", b"Date,\"Symbol,Open,High,Low,Close,Volume\n".to_vec(), 1, "cannot read the header", 0),
        case("bars: every row refused", "bars", "bars.csv", format!("{BARS_HEADER}2021-01-04,BAD,10,11,9,10.5,-1\n").into_bytes(), 1, "nothing landed: 1 rows refused", 1),
        case("bars: no header at all", "bars", "bars.csv", Vec::new(), 1, "no date column", 0),
        case("equity tape: unclosed quote", "equity-trades", "taq_trades_2025-03-03.csv", taq("2025-03-03,10:00:01.000000000,Q,\"AAPL,,@,100,241.5,N,00,2,2,N,"), 3, "a quote that is never closed", 1),
        case("equity tape: NUL byte in a symbol", "equity-trades", "taq_trades_2025-03-03.csv", taq("2025-03-03,10:00:01.000000000,Q,AA\0PL,,@,100,241.5,N,00,2,2,N,"), 3, "NUL byte", 1),
        case("equity tape: size 1e300", "equity-trades", "taq_trades_2025-03-03.csv", taq("2025-03-03,10:00:01.000000000,Q,AAPL,,@,1e300,241.5,N,00,2,2,N,"), 3, "not a positive whole number of shares", 1),
        case("equity tape: price 1e12", "equity-trades", "taq_trades_2025-03-03.csv", taq("2025-03-03,10:00:01.000000000,Q,AAPL,,@,100,1e12,N,00,2,2,N,"), 3, "not a positive price", 1),
        case("equity tape: year 0000", "equity-trades", "taq_trades_2025-03-03.csv", taq("0000-03-03,10:00:01.000000000,Q,AAPL,,@,100,241.5,N,00,2,2,N,"), 3, "outside the years 1900–2200", 1),
        case("equity tape: record over 64 KiB", "equity-trades", "taq_trades_2025-03-03.csv", taq(&format!("2025-03-03,10:00:01.000000000,Q,{long},,@,100,241.5,N,00,2,2,N,")), 3, "KiB a record may have", 1),
        case("equity tape: UTF-8 byte-order mark", "equity-trades", "taq_trades_2025-03-03.csv", [&b"\xEF\xBB\xBF"[..], &taq("2025-03-03,10:00:01.000000000,Q,AAPL,,@,100,241.5,N,00,2,2,N,")].concat(), 0, "3 rows written, 0 rows rejected", 0),
        case("FINRA short volume: UTF-8 byte-order mark", "finra-short-volume", "CNMSshvol20210802.txt", [&b"\xEF\xBB\xBF"[..], &finra("20210802|AAPL|5|0|10|B")].concat(), 0, "2 rows written, 0 rows rejected", 0),
        case("FINRA short volume: NUL byte in a symbol", "finra-short-volume", "CNMSshvol20210802.txt", finra("20210802|AA\0PL|5|0|10|B"), 1, "field Symbol: a NUL byte", 1),
        case("FINRA short volume: year 0000", "finra-short-volume", "CNMSshvol20210802.txt", finra("00000101|AAPL|5|0|10|B"), 1, "outside the years 1900–2200", 1),
        case("FINRA short volume: volume 1e300", "finra-short-volume", "CNMSshvol20210802.txt", finra("20210802|AAPL|5|0|1e300|B"), 1, "beyond the bound", 1),
        case("FINRA short volume: line over 64 KiB", "finra-short-volume", "CNMSshvol20210802.txt", finra(&format!("20210802|{long}|5|0|10|B")), 1, "KiB a record may have", 1),
        case("CBOE put/call: UTF-8 byte-order mark", "cboe-put-call", "totalpc.csv", [&b"\xEF\xBB\xBF"[..], &cboe("11/2/2006,10,5,15,0.50")].concat(), 0, "2 rows written, 0 rows rejected", 0),
        case("CBOE put/call: year 1800", "cboe-put-call", "totalpc.csv", cboe("11/2/1800,10,5,15,0.50"), 3, "outside the years 1900–2200", 1),
        case("CBOE put/call: volumes that overflow CALL + PUT", "cboe-put-call", "totalpc.csv", cboe("11/2/2006,9000000000000000000,9000000000000000000,1,1"), 3, "is not a volume", 1),
        case("CBOE put/call: NUL byte in a field", "cboe-put-call", "totalpc.csv", cboe("11/2/2006,1\0,5,15,0.50"), 3, "NUL byte", 1),
        case("CBOE put/call: line over 64 KiB", "cboe-put-call", "totalpc.csv", cboe(&format!("11/2/2006,10,5,15,{long}")), 3, "KiB a record may have", 1),
    ]
}

/// Every kind in [`cases`]: its exit status and message, the lake unchanged when it fails, and
/// its refused records kept.
#[tokio::test]
async fn bad_input_of_every_kind_gets_its_exit_status_message_and_refusals() {
    let mut wrong = Vec::new();
    for case in cases() {
        let outer = tempfile::tempdir().unwrap();
        let lake = outer.path().join("lake");
        whalewatch(&lake, &["init", lake.to_str().unwrap()]);
        let before = data_files(&lake);
        let file = outer.path().join(case.file);
        std::fs::write(&file, &case.content).unwrap();
        let mut args = vec!["ingest", case.command, "--file", file.to_str().unwrap()];
        if case.command == "equity-trades" {
            args.extend(["--time-zone", "America/New_York"]);
        }
        let output = whalewatch(&lake, &args);
        let text = stderr(&output);
        let kept = query_rows(&lake, "SELECT count(*) FROM rejected_records").await;
        // The message is on stderr for a failed source, in rejected_records for a refused record.
        let reasons = query_rows(&lake, "SELECT reason FROM rejected_records").await;
        if output.status.code() != Some(case.status)
            || !(text.contains(case.message) || reasons.iter().any(|r| r.contains(case.message)))
            || (case.status == 1 && data_files(&lake) != before)
            || kept != vec![case.refused.to_string()]
        {
            wrong.push(format!(
                "{}: status {:?}, {kept:?} kept {reasons:?}: {text}",
                case.kind,
                output.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
