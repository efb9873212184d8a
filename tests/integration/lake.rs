//! The lake's promises: re-ingest never duplicates, a failed ingest leaves no trace in the
//! dataset, leftovers of a killed ingest are invisible and cleaned, bad bars are kept.

use std::path::PathBuf;

use whalewatch::collect::finra::short_volume::{ingest_files, Facility};
use whalewatch::collect::reference::bars::{self, BarsOptions};
use whalewatch::lake::Lake;

use crate::support::{fixture, only_file, query_rows, snapshot};

fn facility_files() -> Vec<PathBuf> {
    ["FNSQ", "FNQC", "FNYX"]
        .iter()
        .map(|f| fixture(&format!("finra/{f}_XRT_IWM_VTI_2021-01.txt")))
        .collect()
}

const ALL_ROWS: &str = "SELECT date, symbol, facility, short_volume, short_exempt_volume, total_volume FROM short_volume ORDER BY date, symbol, facility";

#[tokio::test]
async fn ingesting_twice_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let first = ingest_files(&lake, &facility_files(), None, false).unwrap();
    assert_eq!((first.landed, first.rows_written), (3, 167));
    let rows_once = query_rows(dir.path(), ALL_ROWS).await;
    assert_eq!(rows_once.len(), 167);
    let second = ingest_files(&lake, &facility_files(), None, false).unwrap();
    assert_eq!(second.rows_written, 167);
    assert_eq!(query_rows(dir.path(), ALL_ROWS).await, rows_once);
    // 19 days × 3 facilities: one file per day and facility, never a second copy.
    let files = snapshot(&dir.path().join("short_volume"));
    assert_eq!(files.len(), 19 * 3, "{:?}", files.keys());
}

#[tokio::test]
async fn a_revised_file_replaces_the_rows_it_revises_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    ingest_files(&lake, &facility_files(), None, false).unwrap();
    // FINRA re-publishes one record of FNSQ for 2021-01-04 with new volumes.
    let revised = dir.path().join("FNSQ_revision.txt");
    std::fs::write(&revised, "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\r\n20210104|IWM|1|0|2|Q\r\n1\r\n").unwrap();
    ingest_files(&lake, &[revised], None, true).unwrap();
    let rows = query_rows(dir.path(), "SELECT symbol, short_volume, total_volume FROM short_volume WHERE date = DATE '2021-01-04' AND facility = 'FNSQ' ORDER BY symbol").await;
    // The other two records of that file are as FINRA published them (fixture lines 3 and 4).
    assert_eq!(
        rows,
        vec!["IWM|1|2", "VTI|2449269|4339333", "XRT|537419|653081"]
    );
}

#[tokio::test]
async fn a_file_that_fails_near_its_end_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // The real FNSQ file spans 19 days; break its last record so that the failure comes after
    // every earlier day was read.
    let text = std::fs::read_to_string(fixture("finra/FNSQ_XRT_IWM_VTI_2021-01.txt")).unwrap();
    assert!(text
        .trim_end()
        .ends_with("20210129|XRT|1514341|133246|2559284|Q"));
    let broken = text.replace("|1514341|", "|15143x1|");
    let path = dir.path().join("FNSQ_broken.txt");
    std::fs::write(&path, broken).unwrap();
    let report = ingest_files(&lake, &[path], Some(Facility::Fnsq), false).unwrap();
    assert_eq!(report.landed, 0);
    assert!(
        report.failures[0].1.contains(":58:"),
        "{:?}",
        report.failures
    );
    assert!(
        snapshot(&dir.path().join("short_volume")).is_empty(),
        "no partial file may be left"
    );
    assert_eq!(
        query_rows(dir.path(), "SELECT count(*) FROM short_volume").await,
        vec!["0"]
    );
}

#[tokio::test]
async fn leftovers_of_a_killed_ingest_are_invisible_and_cleared_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    ingest_files(&lake, &facility_files()[..1], None, false).unwrap();
    // What a process killed between write and rename leaves: a temporary file beside the real one.
    let partition = dir.path().join("short_volume/date=2021-01-04");
    let leftover = partition.join(".FNSQ.parquet.tmp-4242-1");
    std::fs::write(&leftover, b"half a parquet file").unwrap();
    // The killed writer had said it was writing before its first file.
    whalewatch::lake::snapshot::mark_writing(dir.path()).unwrap();
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(*) FROM short_volume WHERE date = DATE '2021-01-04'"
        )
        .await,
        vec!["3"]
    );
    ingest_files(&lake, &facility_files()[1..2], None, false).unwrap();
    assert!(!leftover.exists());
}

#[tokio::test]
async fn impossible_bars_are_counted_and_kept_and_the_rest_land() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let csv = dir.path().join("bars.csv");
    std::fs::write(
        &csv,
        "Date,Symbol,Open,High,Low,Close,Volume\n\
         2021-01-04,IWM,196,198,194,197,100\n\
         2021-01-04,VTI,196,190,194,192,100\n\
         2021-01-04,XRT,56,57,55,58,100\n\
         2021-01-04,SPY,370,371,369,370,-5\n\
         2021-01-04,QQQ,310,311,309,x,5\n\
         2021-01-05,IWM,197,199,195,198,200\n\
         2021-01-04,IWM,196,198,194,197.5,100\n\
         2021-01-05,DIA,310,311,309,310,1,234\n\
         2021-01-05,xrt,56,57,55,56,10\n",
    )
    .unwrap();
    let report = bars::ingest_files(&lake, &[csv], &BarsOptions::default()).unwrap();
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (1, 3, 6)
    );
    let kept = query_rows(
        dir.path(),
        "SELECT line, field, reason FROM rejected_records ORDER BY line",
    )
    .await;
    assert_eq!(
        kept,
        vec![
            "3|Low|low 194 is above high 190",
            "4|Close|close 58 is outside [low 55, high 57]",
            "5|Volume|negative volume -5",
            "6|Close|\"x\" is not a number",
            // A repeated key is refused, not silently kept in place of the first.
            "8|NULL|second bar for IWM at 2021-01-04T00:00:00+00:00 (the first is line 2)",
            // An unquoted thousands separator shifts the fields: refused, not misread.
            "9|NULL|8 fields where the header has 7",
        ]
    );
    let landed = query_rows(
        dir.path(),
        "SELECT symbol, timeframe, ts, close, date FROM bars ORDER BY ts, symbol",
    )
    .await;
    assert_eq!(
        landed,
        vec![
            "IWM|1d|2021-01-04T00:00:00Z|197|2021-01-04",
            "IWM|1d|2021-01-05T00:00:00Z|198|2021-01-05",
            // Symbols are stored upper-case, as FINRA and baskets spell them.
            "XRT|1d|2021-01-05T00:00:00Z|56|2021-01-05",
        ]
    );
}

#[tokio::test]
async fn intraday_bars_keep_their_instant_in_utc() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let csv = dir.path().join("aapl.csv");
    std::fs::write(
        &csv,
        "t,o,h,l,c,v\n2026-04-02T16:30:00.000+0300,10,11,9,10.5,7\n1775137860,10,11,9,10.5,8\n1775137920000,10,11,9,10.5,9\n",
    )
    .unwrap();
    let options = BarsOptions {
        symbol: Some("AAPL".into()),
        timeframe: Some("1m".into()),
        ..Default::default()
    };
    let report = bars::ingest_files(&lake, &[csv], &options).unwrap();
    assert_eq!(report.rows_written, 3, "{:?}", report.failures);
    let rows = query_rows(dir.path(), "SELECT ts, volume FROM bars ORDER BY ts").await;
    assert_eq!(
        rows,
        vec![
            "2026-04-02T13:30:00Z|7",
            "2026-04-02T13:51:00Z|8",
            "2026-04-02T13:52:00Z|9"
        ]
    );
}

#[tokio::test]
async fn intraday_bars_are_partitioned_by_new_york_trading_date() {
    // 19:59 EST on 2026-01-05 is 00:59 UTC on the 6th: an after-hours bar of the 5th's session.
    // A daily bar stamped at midnight UTC keeps its own date.
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let minutes = dir.path().join("spy_1m.csv");
    std::fs::write(
        &minutes,
        "symbol,ts,open,high,low,close,volume
\
         SPY,2026-01-05T09:30:00-05:00,10,11,9,10,1
\
         SPY,2026-01-05T19:59:00-05:00,10,11,9,10,2
\
         SPY,2026-01-06T04:00:00-05:00,10,11,9,10,3
",
    )
    .unwrap();
    let options = BarsOptions {
        timeframe: Some("1m".into()),
        ..Default::default()
    };
    let report = bars::ingest_files(&lake, &[minutes], &options).unwrap();
    assert_eq!(report.rows_written, 3, "{:?}", report.failures);
    let daily = dir.path().join("spy_1d.csv");
    std::fs::write(
        &daily,
        "symbol,ts,open,high,low,close,volume\nSPY,2026-01-06T00:00:00Z,10,11,9,10,4\n",
    )
    .unwrap();
    let options = BarsOptions {
        timeframe: Some("1d".into()),
        ..Default::default()
    };
    bars::ingest_files(&lake, &[daily], &options).unwrap();
    let rows = query_rows(
        dir.path(),
        "SELECT date, timeframe, ts, volume FROM bars ORDER BY timeframe, ts",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            "2026-01-06|1d|2026-01-06T00:00:00Z|4",
            "2026-01-05|1m|2026-01-05T14:30:00Z|1",
            "2026-01-05|1m|2026-01-06T00:59:00Z|2",
            "2026-01-06|1m|2026-01-06T09:00:00Z|3",
        ]
    );
}

#[tokio::test]
async fn mostly_distinct_strings_are_written_without_a_dictionary() {
    use datafusion::parquet::basic::Encoding;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let csv = dir.path().join("many.csv");
    let mut text = String::from("date,symbol,open,high,low,close,volume\n");
    for i in 0..2000 {
        text.push_str(&format!("2021-01-04,S{i:04},10,11,9,10,100\n"));
    }
    std::fs::write(&csv, text).unwrap();
    bars::ingest_files(&lake, &[csv], &BarsOptions::default()).unwrap();
    let file = std::fs::File::open(only_file(&dir.path().join("bars/date=2021-01-04"))).unwrap();
    let metadata = SerializedFileReader::new(file).unwrap().metadata().clone();
    let encodings = |name: &str| {
        let row_group = metadata.row_group(0);
        let index = (0..row_group.num_columns())
            .find(|&i| row_group.column(i).column_path().string() == name)
            .unwrap();
        row_group
            .column(index)
            .encodings()
            .collect::<Vec<Encoding>>()
    };
    assert!(
        !encodings("symbol").contains(&Encoding::RLE_DICTIONARY),
        "{:?}",
        encodings("symbol")
    );
    assert!(
        encodings("timeframe").contains(&Encoding::RLE_DICTIONARY),
        "{:?}",
        encodings("timeframe")
    );
}

#[tokio::test]
async fn a_re_cut_adf_file_lands_under_its_facility() {
    // Header "Short Volume|…|Market Center", 40 records over many dates, no trailer.
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let file = fixture("finra/FNRA_ADF_head40.txt");
    let strict = ingest_files(&lake, std::slice::from_ref(&file), None, true).unwrap();
    assert_eq!(
        strict.landed, 0,
        "without --without-trailer the missing trailer is refused"
    );
    let report = ingest_files(&lake, &[file], None, false).unwrap();
    assert_eq!((report.landed, report.rows_written), (1, 40));
    let rows = query_rows(
        dir.path(),
        "SELECT facility, market, count(*) FROM short_volume GROUP BY facility, market",
    )
    .await;
    assert_eq!(rows, vec!["FNRA|D|40"]);
}
