//! Equity trade tapes: TAQ (CSV extract and Daily TAQ pipe file), Polygon flat files, a mapped
//! layout and Parquet; corrections and cancels applied; bad rows kept; `dark_pool_trades` with
//! its block thresholds at their edges, its share of daily volume and the symbol's DIX.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use whalewatch::collect::finra::short_volume as finra_short_volume;
use whalewatch::collect::tapes::equity_trades::{self, EquityTradesOptions};
use whalewatch::lake::Lake;

use crate::support::{fixture, query_rows, run_query_file, snapshot};

fn taq() -> std::path::PathBuf {
    fixture("equity_trades/taq_trades_2025-03-03.csv")
}

fn ingest(lake: &Lake, path: &Path, options: &EquityTradesOptions) -> (u64, u64, u64) {
    let outcome = equity_trades::ingest_files(lake, &[path.to_path_buf()], options).unwrap();
    assert!(
        outcome.report.failures.is_empty(),
        "{:?}",
        outcome.report.failures
    );
    (
        outcome.report.rows_written,
        outcome.report.rows_rejected,
        outcome.voided,
    )
}

#[tokio::test]
async fn taq_prints_land_with_corrections_applied_and_bad_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // 25 records: 16 stand, 5 are voided by a correction, cancel or error, 4 are bad.
    assert_eq!(ingest(&lake, &taq(), &Default::default()), (16, 9, 5));
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT date, symbol, count(*), sum(size), sum(size) FILTER (WHERE off_exchange), \
             count(*) FILTER (WHERE NOT regular_sale) \
             FROM equity_trades GROUP BY 1, 2 ORDER BY 2"
        )
        .await,
        vec![
            "2025-03-03|AAPL|7|71600|67800|1",
            "2025-03-03|BRK.A|4|9|4|1",
            "2025-03-03|XYZ|5|64998|44998|1",
        ]
    );
    // The day's volume per symbol, landed with the prints, is their sum.
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT date, symbol, prints, volume, off_exchange_prints, off_exchange_volume \
             FROM equity_daily_volume ORDER BY symbol"
        )
        .await,
        vec![
            "2025-03-03|AAPL|7|71600|4|67800",
            "2025-03-03|BRK.A|4|9|3|4",
            "2025-03-03|XYZ|5|64998|4|44998",
        ]
    );
    // New York time to UTC (EST, 5 hours), nanoseconds cut to microseconds; the corrected print
    // keeps its corrected price (241.10, not the 214.10 of its correction record).
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT ts, exchange, trf, price, correction FROM equity_trades \
             WHERE symbol = 'AAPL' AND off_exchange ORDER BY ts"
        )
        .await,
        vec![
            "2025-03-03T14:31:15.500Z|D|FINRA/Nasdaq TRF Carteret|241|00",
            "2025-03-03T14:45:00Z|D|FINRA/NYSE TRF|241.1|01",
            "2025-03-03T15:00:00.100Z|D|FINRA/Nasdaq TRF Chicago|240|00",
            "2025-03-03T22:30:00Z|D|FINRA/NYSE TRF|242.3|00",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT line, field, reason FROM rejected_records ORDER BY line"
        )
        .await,
        vec![
            "5|TR_CORR|voided: correction 12 marks a correction record, holding the original incorrect data",
            "7|TR_CORR|voided: correction 08 marks an original trade later cancelled",
            "8|TR_CORR|voided: correction 10 marks a cancel record",
            "9|PRICE|\"0\" is not a positive price",
            "10|NULL|15 fields where the header has 14",
            "18|TR_CORR|voided: correction 07 marks an original trade later marked erroneous",
            "19|TR_CORR|voided: correction 11 marks an error record",
            "25|TIME_M|\"25:61:00.000000000\" is not a time of day (HH:MM:SS.fffffffff or HHMMSSfffffffff)",
            "26|TR_CORR|\"99\" is not a correction indicator (00, 01, 02, 07, 08, 10, 11, 12)",
        ]
    );
    // A refused record is kept as it was written.
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT raw FROM rejected_records WHERE line = 10"
        )
        .await,
        vec!["2025-03-03,11:30:00.000000000,D,AAPL,,@,1,000,241.2,N,00,1010,10,N,N"]
    );
}

#[tokio::test]
async fn re_ingesting_a_tape_replaces_it_and_a_bad_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    ingest(&lake, &taq(), &Default::default());
    ingest(&lake, &taq(), &Default::default());
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT (SELECT count(*) FROM equity_trades), sum(prints), sum(volume) FROM equity_daily_volume"
        )
        .await,
        vec!["16|16|136607"]
    );
    let before = snapshot(&dir.path().join("equity_trades"));
    // A file without a price column is refused whole, naming what to pass.
    let bad = dir.path().join("no_price.csv");
    std::fs::write(
        &bad,
        "ticker,sip_timestamp,exchange,size\nAAPL,1741185000000000500,4,100\n",
    )
    .unwrap();
    let outcome = equity_trades::ingest_files(&lake, &[bad], &Default::default()).unwrap();
    assert!(
        outcome.report.failures[0]
            .1
            .contains("no price column in header [\"ticker\", \"sip_timestamp\", \"exchange\", \"size\"]; name it with --column price=HEADER"),
        "{:?}",
        outcome.report.failures
    );
    assert_eq!(snapshot(&dir.path().join("equity_trades")), before);
}

#[tokio::test]
async fn dark_pool_trades_marks_blocks_at_their_edges() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    ingest(&lake, &taq(), &Default::default());
    // FINRA's consolidated short volume for the day: AAPL and XYZ, not BRK.A.
    let short_volume = dir.path().join("CNMSshvol20250303.txt");
    std::fs::write(
        &short_volume,
        "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n\
         20250303|AAPL|36000|100|72000|B,Q,N\n\
         20250303|XYZ|20000|0|80000|B,Q,N\n",
    )
    .unwrap();
    let report = finra_short_volume::ingest_files(&lake, &[short_volume], None, false).unwrap();
    assert_eq!(report.rows_written, 2);
    let rows =
        "SELECT symbol, trade_date, trade_time, shares, price, total_value, dark_pool_venue, \
                dix_value, is_block_trade, round(pct_of_daily_volume, 6) \
                FROM dark_pool_trades ORDER BY symbol, ts";
    assert_eq!(
        query_rows(dir.path(), rows).await,
        vec![
            // 10,000+ shares; $200,000+; an average-price print of 50,000 is no block; 800
            // shares after hours are $193,840.
            "AAPL|2025-03-03|09:31:15.500|12000|241|2892000|FINRA/Nasdaq TRF Carteret|0.5|true|16.759777",
            "AAPL|2025-03-03|09:45:00|5000|241.1|1205500|FINRA/NYSE TRF|0.5|true|6.98324",
            "AAPL|2025-03-03|10:00:00.100|50000|240|12000000|FINRA/Nasdaq TRF Chicago|0.5|false|69.832402",
            "AAPL|2025-03-03|17:30:00|800|242.3|193840|FINRA/NYSE TRF|0.5|false|1.117318",
            // $200,000.00 exactly is a block, a cent less is not; derivatively priced is not.
            "BRK.A|2025-03-03|10:15:00|1|200000|200000|FINRA/NYSE TRF|NULL|true|11.111111",
            "BRK.A|2025-03-03|10:16:00|1|199999.99|199999.99|FINRA/Nasdaq TRF Carteret|NULL|false|11.111111",
            "BRK.A|2025-03-03|11:00:00|2|720000|1440000|FINRA ADF|NULL|false|22.222222",
            // 10,000 shares exactly is a block ($199,900); 9,999 shares are not, unless they
            // are worth $200,079.99; a late print (sold last) is not.
            "XYZ|2025-03-03|09:35:00|10000|19.99|199900|FINRA/NYSE TRF|0.25|true|15.385089",
            "XYZ|2025-03-03|09:36:00|9999|19.99|199880.01|FINRA/Nasdaq TRF Carteret|0.25|false|15.38355",
            "XYZ|2025-03-03|09:37:00|9999|20.01|200079.99|FINRA/Nasdaq TRF Chicago|0.25|true|15.38355",
            "XYZ|2025-03-03|09:40:00|15000|20|300000|FINRA/NYSE TRF|0.25|false|23.077633",
        ]
    );
    // Every column of the spec's table answers.
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(id), count(DISTINCT id), count(created_at) FROM dark_pool_trades"
        )
        .await,
        vec!["11|11|11"]
    );
    // Thresholds are the session's: 5,000 shares or $1,000,000.
    let ctx = whalewatch::sql::open_session(
        &lake,
        &whalewatch::sql::SessionSettings {
            threads: Some(2),
            block_min_shares: 5000.0,
            block_min_value: 1_000_000.0,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let result = whalewatch::sql::run_script(
        &ctx,
        "SELECT symbol, shares FROM dark_pool_trades WHERE is_block_trade ORDER BY symbol, ts",
        None,
    )
    .await
    .unwrap();
    let blocks: Vec<String> = crate::slt::render_rows(&result.batches)
        .into_iter()
        .map(|row| row.join("|"))
        .collect();
    assert_eq!(
        blocks,
        vec![
            "AAPL|12000",
            "AAPL|5000",
            "XYZ|10000",
            "XYZ|9999",
            "XYZ|9999"
        ]
    );
}

#[tokio::test]
async fn daily_taq_pipe_files_and_polygon_flat_files() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // The date is in the file name; the END trailer is not a record.
    ingest(
        &lake,
        &fixture("equity_trades/EQY_US_ALL_TRADE_20250304"),
        &Default::default(),
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT date, symbol, ts, exchange, off_exchange, trf, size, price FROM equity_trades ORDER BY symbol, ts"
        )
        .await,
        vec![
            "2025-03-04|BRK.A|2025-03-04T14:30:00.000123Z|N|false|NULL|5|721000",
            "2025-03-04|BRK.A|2025-03-04T15:15:00.250Z|D|true|FINRA/NYSE TRF|1|721500.5",
            "2025-03-04|XYZ|2025-03-04T15:16:00Z|D|true|FINRA/Nasdaq TRF Carteret|25000|20.1",
        ]
    );
    // Polygon ships its flat files gzip'd.
    let csv = std::fs::read(fixture("equity_trades/polygon_2025-03-05.csv")).unwrap();
    let gz = dir.path().join("2025-03-05.csv.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
    encoder.write_all(&csv).unwrap();
    encoder.finish().unwrap();
    assert_eq!(ingest(&lake, &gz, &Default::default()), (9, 4, 3));
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT ts, exchange, off_exchange, trf, size, conditions, regular_sale, correction \
             FROM equity_trades WHERE date = DATE '2025-03-05' ORDER BY symbol, ts"
        )
        .await,
        vec![
            // Sorted by time on landing: the pre-market odd lot comes first.
            "2025-03-05T09:05:00.000001Z|4|true|FINRA/Nasdaq TRF Carteret|7|12,37|true|0",
            "2025-03-05T14:30:00Z|12|false|NULL|100|NULL|true|0",
            "2025-03-05T15:00:00.123456Z|4|true|FINRA/NYSE TRF|15000|NULL|true|0",
            "2025-03-05T15:30:00.000001Z|4|true|FINRA/Nasdaq TRF Chicago|40000|2|false|0",
            "2025-03-05T16:00:00.000001Z|4|true|FINRA/NYSE TRF|1000|NULL|true|1",
            "2025-03-05T17:00:00.000001Z|11|false|NULL|500|14|true|0",
            "2025-03-05T18:00:00.000001Z|4|true|FINRA/NYSE TRF|600|14,41|true|0",
            "2025-03-05T18:05:00.000001Z|4|true|FINRA/NYSE TRF|20000|30|false|0",
            "2025-03-05T19:00:00.000001Z|10|false|NULL|1000|NULL|true|0",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT symbol, shares, is_block_trade FROM dark_pool_trades \
             WHERE trade_date = DATE '2025-03-05' AND is_block_trade ORDER BY ts"
        )
        .await,
        vec!["AAPL|15000|true", "AAPL|1000|true", "MSFT|600|true"]
    );
}

#[tokio::test]
async fn a_mapped_layout_and_a_parquet_tape() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let ticks = fixture("equity_trades/ticks_2025-03-06.csv");
    let mut options = EquityTradesOptions {
        column_map: [
            ("symbol", "Sym"),
            ("ts", "Timestamp"),
            ("exchange", "Venue"),
            ("size", "Qty"),
            ("price", "Px"),
            ("conditions", "Flags"),
        ]
        .iter()
        .map(|(t, h)| (t.to_string(), h.to_string()))
        .collect(),
        ..Default::default()
    };
    // Without --off-exchange-code DRKX, that venue is an exchange.
    assert_eq!(ingest(&lake, &ticks, &options), (4, 1, 0));
    options.off_exchange_codes = vec!["DRKX".to_string()];
    assert_eq!(ingest(&lake, &ticks, &options), (4, 1, 0));
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT date, ts, exchange, off_exchange, trf, regular_sale FROM equity_trades ORDER BY ts"
        )
        .await,
        vec![
            "2025-03-06|2025-03-06T14:35:00.000001Z|FINY|true|FINRA/NYSE TRF|true",
            "2025-03-06|2025-03-06T14:36:00Z|XNAS|false|NULL|true",
            "2025-03-06|2025-03-06T14:37:00Z|FINN|true|FINRA/Nasdaq TRF Carteret|false",
            "2025-03-06|2025-03-06T14:38:00Z|DRKX|true|NULL|true",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT field, reason FROM rejected_records ORDER BY ingest_id DESC LIMIT 1"
        )
        .await,
        vec!["Timestamp|\"not-a-time\" is not a date, a timestamp with offset, or an epoch number"]
    );

    // Polygon's columns, typed, in a Parquet file.
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("ticker", Arc::new(StringArray::from(vec!["NVDA", "NVDA"]))),
        (
            "sip_timestamp",
            Arc::new(Int64Array::from(vec![
                1_741_358_700_000_000_000,
                1_741_358_760_000_000_000,
            ])),
        ),
        ("exchange", Arc::new(Int64Array::from(vec![4, 4]))),
        ("price", Arc::new(Float64Array::from(vec![110.25, -1.0]))),
        ("size", Arc::new(Int64Array::from(vec![20_000, 5]))),
        (
            "conditions",
            Arc::new(StringArray::from(vec![None, Some("12")])),
        ),
        ("correction", Arc::new(Int64Array::from(vec![0, 0]))),
        ("trf_id", Arc::new(Int64Array::from(vec![203, 201]))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let parquet = dir.path().join("nvda_2025-03-07.parquet");
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&parquet).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    assert_eq!(ingest(&lake, &parquet, &Default::default()), (1, 1, 0));
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT trade_date, ts, dark_pool_venue, is_block_trade FROM dark_pool_trades WHERE symbol = 'NVDA'"
        )
        .await,
        vec!["2025-03-07|2025-03-07T14:45:00Z|FINRA/Nasdaq TRF Chicago|true"]
    );
}

#[tokio::test]
async fn dark_pool_query_files() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    ingest(&lake, &taq(), &Default::default());
    assert_eq!(
        run_query_file(dir.path(), "queries/dark_pool_blocks.sql", &["top=3"]),
        vec![
            "rank,trade_date,trade_time,symbol,shares,price,total_value,dark_pool_venue,pct_of_daily_volume,dix_value,conditions",
            "1,2025-03-03,09:31:15.500,AAPL,12000,241.0,2892000.0,FINRA/Nasdaq TRF Carteret,16.7598,,@",
            "2,2025-03-03,09:45:00,AAPL,5000,241.1,1205500.0,FINRA/NYSE TRF,6.9832,,@",
            "3,2025-03-03,09:37:00,XYZ,9999,20.01,200079.99,FINRA/Nasdaq TRF Chicago,15.3836,,@",
        ]
    );
    // XYZ's regular off-exchange prints by $0.05 level: 19.99 and 20.01 fall in 20.00 (the late
    // print of 15,000 is left out).
    assert_eq!(
        run_query_file(
            dir.path(),
            "queries/dark_pool_levels.sql",
            &["symbol=XYZ", "tick=0.05"]
        ),
        vec![
            "symbol,level,notional,shares,prints,block_prints,days,first_date,last_date,share_of_notional_pct,rank",
            "XYZ,20.0,599860.0,29998,3,2,1,2025-03-03,2025-03-03,100.0,1",
        ]
    );
    assert_eq!(
        run_query_file(dir.path(), "queries/off_exchange_share.sql", &[]),
        vec![
            "date,symbol,consolidated_volume,off_exchange_volume,off_exchange_share_pct,adf_volume,nyse_trf_volume,nasdaq_carteret_volume,nasdaq_chicago_volume,off_exchange_prints,block_prints",
            "2025-03-03,AAPL,71600,67800,94.6927,0,5800,12000,50000,4,2",
            "2025-03-03,BRK.A,9,4,44.4444,2,1,1,0,3,1",
            "2025-03-03,XYZ,64998,44998,69.2298,0,25000,9999,9999,4,2",
        ]
    );
}
