//! Options: the tape, quote and chain layouts through the collectors, and the sweep, split and
//! block definitions of `options_flow` against a labelled tape.

use std::collections::BTreeMap;
use std::fmt::Write;

use whalewatch::collect::tapes::cboe_put_call;
use whalewatch::collect::tapes::option_chains::{self, ChainOptions};
use whalewatch::collect::tapes::option_trades::{self, OptionTradesOptions};
use whalewatch::lake::Lake;

use crate::support::{query_rows, run_query_file, snapshot};

const LIVEVOL_HEADER: &str = "underlying_symbol,quote_datetime,sequence_number,root,expiration,strike,option_type,exchange_id,trade_size,trade_price,trade_condition_id,canceled_trade_condition_id,best_bid,best_ask,underlying_bid,underlying_ask,number_of_exchanges";

#[tokio::test]
async fn livevol_time_and_sales_lands_in_utc_with_its_nbbo() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let tape = dir.path().join("livevol.csv");
    std::fs::write(
        &tape,
        format!(
            "{LIVEVOL_HEADER}\n\
             ^SPX,2026-03-02 09:30:00.250,1001,SPXW,2026-03-02,6000.000,C,5,10,12.50,18,0,12.40,12.60,6005.10,6005.90,16\r\n\
             ^SPX,2026-03-02 15:59:59.999,1002,SPXW,2026-03-02,6000.000,P,7,3,0.05,0,0,0,0,6010.00,6010.50,16\n\
             AAPL,2026-03-02 10:00:00.000,1003,AAPL,2026-02-27,190.000,C,5,10,1.00,0,0,0.9,1.1,200.0,200.1,16\n\
             AAPL,2026-03-02 10:00:00.000,1004,AAPL,2026-03-20,190.000,C,5,0,1.00,0,0,0.9,1.1,200.0,200.1,16\n\
             AAPL,2026-03-02 10:00:00.000,1005,AAPL,2026-03-20,190.0005,C,5,1,1.00,0,0,0.9,1.1,200.0,200.1,16\n\
             AAPL,2026-03-02 10:00:00.000,1006,AAPL,2026-03-20,190,X,5,1,1.00,0,0,0.9,1.1,200.0,200.1,16\n\
             AAPL,2026-03-02 10:00:01.000,1001,AAPL,2026-03-20,190,P,5,1,1.00,0,0,0.9,1.1,200.0,200.1,16\n"
        ),
    )
    .unwrap();
    let report =
        option_trades::ingest_files(&lake, &[tape.clone()], &OptionTradesOptions::default())
            .unwrap();
    assert!(report.quotes.is_none());
    assert_eq!(
        (report.trades.rows_written, report.trades.rows_rejected),
        (2, 5)
    );
    let rows = query_rows(
        lake.root(),
        "SELECT underlying, contract, ts, exchange, size, price, bid, ask, underlying_bid, date FROM option_trades ORDER BY ts",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            // 09:30:00.250 EST is 14:30:00.250 UTC.
            "SPX|SPXW260302C06000000|2026-03-02T14:30:00.250Z|5|10|12.5|12.4|12.6|6005.1|2026-03-02",
            // LiveVol's 0/0 means no market: NULL, not a free option.
            "SPX|SPXW260302P06000000|2026-03-02T20:59:59.999Z|7|3|0.05|NULL|NULL|6010|2026-03-02",
        ]
    );
    let refused = query_rows(
        lake.root(),
        "SELECT line, field, reason FROM rejected_records WHERE dataset = 'option_trades' ORDER BY line",
    )
    .await;
    assert_eq!(
        refused,
        vec![
            "4|quote_datetime|traded on 2026-03-02, after the contract expired on 2026-02-27",
            "5|trade_size|\"0\" is not a positive whole number of contracts",
            "6|strike|strike 190.0005 does not fit OSI's 5 digits and 3 decimals",
            "7|option_type|\"X\" is neither a call (C) nor a put (P)",
            "8|NULL|second print with sequence number 1001 on exchange 5 that day (the first is line 2)",
        ]
    );
    // Ingesting the same tape again replaces its rows.
    let before = snapshot(&lake.root().join("option_trades")).len();
    option_trades::ingest_files(&lake, &[tape.clone()], &OptionTradesOptions::default()).unwrap();
    assert_eq!(snapshot(&lake.root().join("option_trades")).len(), before);
    // So does the same file from another directory: a source is known by its name.
    let moved = dir.path().join("elsewhere");
    std::fs::create_dir(&moved).unwrap();
    std::fs::copy(&tape, moved.join("livevol.csv")).unwrap();
    option_trades::ingest_files(
        &lake,
        &[moved.join("livevol.csv")],
        &OptionTradesOptions::default(),
    )
    .unwrap();
    assert_eq!(snapshot(&lake.root().join("option_trades")).len(), before);
    assert_eq!(
        query_rows(lake.root(), "SELECT count(*) FROM option_trades").await,
        vec!["2"]
    );
}

#[tokio::test]
async fn polygon_trades_take_their_nbbo_from_the_quotes_as_of_each_print() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // 2026-03-02 15:00:00 UTC in nanoseconds, and offsets from it.
    let at = |ms: u64| 1_772_463_600_000_000_000_u64 + ms * 1_000_000;
    let trades = dir.path().join("trades.csv");
    std::fs::write(
        &trades,
        format!(
            "ticker,conditions,correction,exchange,price,sip_timestamp,size\n\
             O:AAPL260320C00190000,209,0,312,1.10,{},5\n\
             O:AAPL260320C00190000,\"[209, 219]\",0,313,1.25,{},10\n\
             O:AAPL260320C00190000,209,0,312,1.00,{},1\n\
             O:MSFT260320P00400000,209,0,301,2.00,{},2\n\
             AAPL260320C00190000,209,0,312,1.00,{},1\n",
            at(10),
            at(20),
            at(5),
            at(20),
            at(30)
        ),
    )
    .unwrap();
    let quotes = dir.path().join("quotes.csv");
    std::fs::write(
        &quotes,
        format!(
            "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp\n\
             O:AAPL260320C00190000,312,1.10,50,313,1.00,40,1,{}\n\
             O:AAPL260320C00190000,312,1.25,50,313,1.15,40,2,{}\n\
             O:AAPL260320C00190000,312,1.30,50,313,1.20,40,3,{}\n",
            at(0),
            at(20),
            at(25)
        ),
    )
    .unwrap();
    let options = OptionTradesOptions {
        quotes: vec![quotes],
        ..Default::default()
    };
    let report = option_trades::ingest_files(&lake, &[trades], &options).unwrap();
    assert_eq!(report.quotes.map(|q| q.rows_written), Some(3));
    assert_eq!(
        report.trades.rows_written, 5,
        "the unprefixed OSI ticker lands too"
    );
    let rows = query_rows(
        lake.root(),
        "SELECT contract, ts, exchange, size, price, condition, bid, ask, trade_side(price, bid, ask) \
         FROM option_trades ORDER BY contract, ts, seq",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            "AAPL260320C00190000|2026-03-02T15:00:00.005Z|312|1|1|209|1|1.1|bid",
            "AAPL260320C00190000|2026-03-02T15:00:00.010Z|312|5|1.1|209|1|1.1|ask",
            // A quote stamped in the same nanosecond as the print is in force for it.
            "AAPL260320C00190000|2026-03-02T15:00:00.020Z|313|10|1.25|209, 219|1.15|1.25|ask",
            "AAPL260320C00190000|2026-03-02T15:00:00.030Z|312|1|1|209|1.2|1.3|below_bid",
            // No quote for this contract: no side.
            "MSFT260320P00400000|2026-03-02T15:00:00.020Z|301|2|2|209|NULL|NULL|NULL",
        ]
    );
}

#[tokio::test]
async fn cboe_put_call_history_lands_once_per_date_and_product() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // CBOE's layout (disclaimer, product line, header) with mixed line endings and spaces.
    let equity = dir.path().join("equitypc.csv");
    std::fs::write(
        &equity,
        "CBOE Volume and Put/Call Ratio data is compiled for the convenience of site visitors\r\n\
         , PRODUCT: EQUITY,,EXCHANGE: CBOE,\n\
         DATE,CALL,PUT,TOTAL,P/C Ratio\n\
         3/2/2026,1000,640,1640,0.64\r\n\
         3/3/2026, 2000, 1210, 3210, 0.61\n\
         3/4/2026,1000,500,1600,0.50\n",
    )
    .unwrap();
    for _ in 0..2 {
        let report = cboe_put_call::ingest_files(&lake, &[equity.clone()], None).unwrap();
        assert_eq!((report.rows_written, report.rows_rejected), (2, 1));
    }
    let rows = query_rows(
        lake.root(),
        "SELECT date, product, calls, puts, total, put_call_ratio FROM put_call_cboe ORDER BY date",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            "2026-03-02|EQUITY|1000|640|1640|0.64",
            "2026-03-03|EQUITY|2000|1210|3210|0.61"
        ]
    );
}

#[tokio::test]
async fn a_chain_lands_in_open_interest_and_gives_its_gex() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let chain = dir.path().join("SPX_2026-06-12.csv");
    std::fs::write(
        &chain,
        "# spot,7400.0000,ts,2026-06-12 15:30:32\n\
         strike,dte,cp,oi,gamma,delta,iv,bid,ask\n\
         7400.00,0,C,1000,0.002000,0.5000,0.1500,40.00,41.00\n\
         7400.00,0,P,3000,0.001000,-0.5000,0.1600,30.00,31.00\n\
         7500.00,6,C,200,0.000500,0.2000,0.1400,5.00,6.00\n",
    )
    .unwrap();
    option_chains::ingest_files(&lake, &[chain], &ChainOptions::default()).unwrap();
    // By hand: Σ gamma × OI × 100 × spot² × 0.01, calls minus puts, spot 7400:
    // (0.002 × 1000 + 0.0005 × 200 − 0.001 × 3000) × 100 × 7400² × 0.01 = −0.9 × 54,760,000.
    let rows = query_rows(
        lake.root(),
        "SELECT round(gex(gamma, open_interest, underlying_price, \"right\"), 6), sum(open_interest) \
         FROM open_interest WHERE underlying = 'SPX' AND date = DATE '2026-06-12'",
    )
    .await;
    assert_eq!(rows, vec!["-49284000|4200"]);
}

/// What a print is, by construction or by the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Sweep,
    Split,
    Block,
    Plain,
}

/// A small deterministic generator (xorshift), so the tape is the same in every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A labelled LiveVol-layout tape: for each of 400 contracts, 30 events at least 1 s apart, each a
/// sweep, a split, a block, a plain print, or a near miss at a threshold, with every print's
/// label. Returns the CSV, the labels by sequence number, and the number of sweeps and splits.
fn labelled_tape() -> (String, BTreeMap<i64, Label>, usize) {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut csv = format!("{LIVEVOL_HEADER}\n");
    let mut labels = BTreeMap::new();
    let mut seq = 0_i64;
    // Events of two or more prints within the window: the sweeps and splits.
    let mut bursts = 0;
    // 10:00:00 New York time on 2026-03-02, in µs from midnight.
    let open_us = 10 * 3_600_000_000_i64;
    for contract in 0..400 {
        let root = format!("T{:03}", contract / 4);
        let strike = 50 + 5 * (contract % 4);
        let mut at_us = open_us + random.below(1_000_000) as i64;
        for _event in 0..30 {
            // One event: (µs after its start, exchange, size, price) of each print, and the label.
            let price = 1.0 + random.below(300) as f64 / 100.0; // premium ≤ $400 a contract
            let small = |r: &mut Random| 1 + r.below(50) as i64; // < 1,000 contracts, < $200k
            let (prints, label): (Vec<(i64, u64, i64, f64)>, Label) = match random.below(10) {
                0 | 1 => {
                    let n = 2 + random.below(5);
                    let first = random.below(16);
                    let prints = (0..n)
                        .map(|i| {
                            (
                                random.below(50_001) as i64 * (i > 0) as i64,
                                (first + i) % 16,
                                small(&mut random),
                                price,
                            )
                        })
                        .collect();
                    (prints, Label::Sweep)
                }
                2 => {
                    let exchange = random.below(16);
                    let n = 2 + random.below(4);
                    let prints = (0..n)
                        .map(|i| {
                            (
                                random.below(50_001) as i64 * (i > 0) as i64,
                                exchange,
                                small(&mut random),
                                price,
                            )
                        })
                        .collect();
                    (prints, Label::Split)
                }
                3 => {
                    // A block by size (1,000 exactly at times) or by premium ($200,000 at times).
                    let print = if random.below(2) == 0 {
                        (
                            0,
                            random.below(16),
                            1000 + random.below(3) as i64 * 500 * random.below(2) as i64,
                            price,
                        )
                    } else {
                        (0, random.below(16), 500, 4.0 + random.below(3) as f64)
                    };
                    (vec![print], Label::Block)
                }
                4 => {
                    // Near misses: two exchanges 1 µs past the window; 999 contracts; $199,999.50.
                    let prints = match random.below(3) {
                        0 => vec![
                            (0, 1, small(&mut random), price),
                            (50_001, 2, small(&mut random), price),
                        ],
                        1 => vec![(0, random.below(16), 999, 1.0)],
                        _ => vec![(0, random.below(16), 500, 3.9999)],
                    };
                    (prints, Label::Plain)
                }
                _ => (
                    vec![(0, random.below(16), small(&mut random), price)],
                    Label::Plain,
                ),
            };
            if prints.len() >= 2 && matches!(label, Label::Sweep | Label::Split) {
                bursts += 1;
            }
            let mut sorted = prints;
            sorted.sort_by_key(|p| p.0);
            for (offset, exchange, size, price) in sorted {
                let us = at_us + offset;
                let (h, m, s, micro) = (
                    us / 3_600_000_000,
                    us / 60_000_000 % 60,
                    us / 1_000_000 % 60,
                    us % 1_000_000,
                );
                seq += 1;
                let _ = writeln!(
                    csv,
                    "{root},2026-03-02 {h:02}:{m:02}:{s:02}.{micro:06},{seq},{root},2026-03-20,{strike}.000,C,{exchange},{size},{price:.4},0,0,{:.2},{:.2},60.00,60.02,16",
                    price - 0.05,
                    price + 0.05
                );
                labels.insert(seq, label);
            }
            at_us += 1_000_000 + random.below(4_000_000) as i64;
        }
    }
    (csv, labels, bursts)
}

#[tokio::test]
async fn options_flow_classifies_a_labelled_tape() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let (csv, labels, bursts) = labelled_tape();
    // Two source files, the prints dealt between them alternately: clusters span files, so the
    // scan must merge them in (contract, ts) order.
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let (mut odd, mut even) = (format!("{header}\n"), format!("{header}\n"));
    for (i, line) in lines.enumerate() {
        let file = if i % 2 == 0 { &mut even } else { &mut odd };
        file.push_str(line);
        file.push('\n');
    }
    let tapes = [
        dir.path().join("labelled_a.csv"),
        dir.path().join("labelled_b.csv"),
    ];
    std::fs::write(&tapes[0], even).unwrap();
    std::fs::write(&tapes[1], odd).unwrap();
    let report =
        option_trades::ingest_files(&lake, &tapes, &OptionTradesOptions::default()).unwrap();
    assert_eq!(
        (
            report.trades.rows_written as usize,
            report.trades.rows_rejected
        ),
        (labels.len(), 0)
    );
    // The streamed table function and the window function agree on every print.
    let differences = query_rows(
        lake.root(),
        "SELECT count(*) FROM (\
           SELECT contract, seq, cluster_prints, cluster_exchanges FROM print_clusters(50) \
           EXCEPT \
           SELECT contract, seq, c['prints'], c['exchanges'] FROM (SELECT contract, seq, \
             print_cluster(ts, exchange, 50) OVER (PARTITION BY contract ORDER BY ts, seq) AS c \
             FROM option_trades))",
    )
    .await;
    assert_eq!(differences, vec!["0"]);
    let rows = query_rows(
        lake.root(),
        "SELECT seq, is_sweep, is_split, is_block FROM options_flow ORDER BY seq",
    )
    .await;
    let mut confusion: BTreeMap<(Label, Label), usize> = BTreeMap::new();
    for row in &rows {
        let fields: Vec<&str> = row.split('|').collect();
        let seq: i64 = fields[0].parse().unwrap();
        let got = match (fields[1], fields[2], fields[3]) {
            ("true", _, _) => Label::Sweep,
            (_, "true", _) => Label::Split,
            (_, _, "true") => Label::Block,
            _ => Label::Plain,
        };
        *confusion.entry((labels[&seq], got)).or_default() += 1;
    }
    let total: usize = confusion.values().sum();
    let agree: usize = confusion
        .iter()
        .filter(|((a, b), _)| a == b)
        .map(|(_, n)| n)
        .sum();
    let mut matrix = String::from("labelled \\ classified   Sweep   Split   Block   Plain\n");
    for label in [Label::Sweep, Label::Split, Label::Block, Label::Plain] {
        let _ = write!(matrix, "{:<22}", format!("{label:?}"));
        for got in [Label::Sweep, Label::Split, Label::Block, Label::Plain] {
            let _ = write!(
                matrix,
                "{:>8}",
                confusion.get(&(label, got)).copied().unwrap_or(0)
            );
        }
        matrix.push('\n');
    }
    println!("{matrix}{agree} of {total} prints classified as labelled");
    assert_eq!(total, labels.len());
    assert!(total > 10_000, "a tape of {total} prints");
    for label in [Label::Sweep, Label::Split, Label::Block, Label::Plain] {
        assert!(
            confusion.get(&(label, label)).copied().unwrap_or(0) > 100,
            "{label:?} well represented\n{matrix}"
        );
    }
    assert!(agree as f64 >= 0.99 * total as f64, "\n{matrix}");
    // The issue asks for 99 %; the definitions are exact, so anything short of all is a defect
    // (a threshold off by one moves the 210 prints of exactly $200,000, under 1 %).
    assert_eq!(agree, total, "\n{matrix}");

    // repeated_hits.sql with the sweeps' window and two fills finds every sweep and split, and
    // nothing else (the near misses are 1 µs too far apart).
    let found = run_query_file(
        lake.root(),
        "queries/repeated_hits.sql",
        &["window_ms=50", "min_fills=2"],
    );
    assert_eq!(found.len() - 1, bursts);
}

#[tokio::test]
async fn the_option_query_files_answer_by_their_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // AAPL at 200.00/200.10: the 210 call is out of the money, the 190 call in it. Open interest
    // 400 and 100. Times are New York time (LiveVol).
    let tape = dir.path().join("tape.csv");
    std::fs::write(
        &tape,
        format!(
            "{LIVEVOL_HEADER}\n\
             AAPL,2026-03-02 10:00:00.000,1,AAPL,2026-03-20,210,C,1,300,1.00,0,0,0.90,1.00,200.00,200.10,16\n\
             AAPL,2026-03-02 10:01:00.000,2,AAPL,2026-03-20,210,C,1,300,1.00,0,0,0.90,1.00,200.00,200.10,16\n\
             AAPL,2026-03-02 10:02:00.000,3,AAPL,2026-03-20,210,C,2,50,1.00,0,0,0.90,1.00,200.00,200.10,16\n\
             AAPL,2026-03-02 10:03:00.000,4,AAPL,2026-03-20,210,C,3,200,1.00,MLET,0,0.90,1.00,200.00,200.10,16\n\
             AAPL,2026-03-02 11:00:00.000,5,AAPL,2026-03-20,190,C,1,400,11.00,0,0,10.90,11.00,200.00,200.10,16\n\
             AAPL,2026-03-02 11:00:00.020,6,AAPL,2026-03-20,190,C,2,500,11.00,0,0,10.90,11.00,200.00,200.10,16\n\
             AAPL,2026-03-02 12:00:00.000,7,AAPL,2026-03-20,180,P,1,1000,0.50,0,0,0.50,0.60,200.00,200.10,16\n"
        ),
    )
    .unwrap();
    option_trades::ingest_files(&lake, &[tape], &OptionTradesOptions::default()).unwrap();
    let chain = dir.path().join("chain.csv");
    std::fs::write(
        &chain,
        "contract,date,open_interest,gamma,underlying_price\n\
         AAPL260320C00210000,2026-03-02,400,0.02,200.05\n\
         AAPL260320C00190000,2026-03-02,100,0.03,200.05\n\
         AAPL260320P00180000,2026-03-02,9000,0.01,200.05\n",
    )
    .unwrap();
    option_chains::ingest_files(&lake, &[chain], &ChainOptions::default()).unwrap();
    let equity = dir.path().join("totalpc.csv");
    std::fs::write(
        &equity,
        "DATE,CALLS,PUTS,TOTAL,Ratio\n3/2/2026,1000,500,1500,0.50\n",
    )
    .unwrap();
    cboe_put_call::ingest_files(&lake, &[equity], None).unwrap();

    // Only print 2 is unusual: print 1 leaves the day's volume at 300 (not above 400 nor 500),
    // print 3 is $5,000, print 4 is multi-leg, prints 5–6 are in the money, print 7 has 9,000
    // open interest and was sold at the bid (a block: 1,000 contracts).
    let flags = query_rows(
        lake.root(),
        "SELECT seq, is_unusual, is_sweep, is_block FROM options_flow ORDER BY seq",
    )
    .await;
    assert_eq!(
        flags,
        vec![
            "1|false|false|false",
            "2|true|false|false",
            "3|false|false|false",
            "4|false|false|false",
            "5|false|true|false",
            "6|false|true|false",
            "7|false|false|true",
        ]
    );
    let unusual = run_query_file(
        lake.root(),
        "queries/unusual_options.sql",
        &["from=2026-03-02", "to=2026-03-02"],
    );
    assert_eq!(unusual.len(), 2, "{unusual:?}");
    assert!(
        unusual[1].starts_with(
            "2026-03-02,AAPL,AAPL260320C00210000,CALL,210.0,2026-03-20,1,300,30000.00,"
        ),
        "{}",
        unusual[1]
    );
    // Lower the premium floor to $5,000 and print 3 qualifies as well.
    let looser = run_query_file(
        lake.root(),
        "queries/unusual_options.sql",
        &["min_premium=5000"],
    );
    assert!(looser[1].contains(",2,350,35000.00,"), "{}", looser[1]);

    // One sweep: prints 5 and 6, 20 ms apart on exchanges 1 and 2, 900 contracts at $11.00.
    let sweeps = run_query_file(lake.root(), "queries/option_sweeps.sql", &[]);
    assert_eq!(sweeps.len(), 2, "{sweeps:?}");
    let fields: Vec<&str> = sweeps[1].split(',').collect();
    assert_eq!(fields[2], "AAPL260320C00190000");
    assert_eq!(&fields[8..12], &["2", "2", "900", "990000.00"]);
    assert_eq!(fields[fields.len() - 2..], ["bullish", "false"]);
    // With a 10 ms window the two prints are apart: no sweep.
    assert_eq!(
        run_query_file(lake.root(), "queries/option_sweeps.sql", &["window_ms=10"]).len(),
        1
    );

    // Repeated hits: prints 5 and 6 are two fills within 100 ms; three are needed by default.
    assert_eq!(
        run_query_file(lake.root(), "queries/repeated_hits.sql", &[]).len(),
        1
    );
    let hits = run_query_file(lake.root(), "queries/repeated_hits.sql", &["min_fills=2"]);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(
        hits[1].contains(",2,2,900,false,990000.00,1.0,bullish"),
        "{}",
        hits[1]
    );

    // The tape: calls 300+300+50+200+400+500 = 1,750, puts 1,000; CBOE's TOTAL: 0.50.
    let put_call = run_query_file(lake.root(), "queries/put_call_daily.sql", &[]);
    assert_eq!(
        put_call[1].split(',').take(4).collect::<Vec<_>>(),
        ["2026-03-02", "1750", "1000", "0.5714"]
    );
    assert!(
        put_call[1].ends_with(",1000,500,0.5,0.0714"),
        "{}",
        put_call[1]
    );

    // GEX by hand: spot 200.05, 100 × 200.05² × 0.01 = 40,020.0025 per unit of gamma × OI:
    // calls 0.02 × 400 + 0.03 × 100 = 11, puts 0.01 × 9,000 = 90.
    let gex = run_query_file(
        lake.root(),
        "queries/gex.sql",
        &["underlying=AAPL", "date=2026-03-02"],
    );
    assert_eq!(
        gex[0],
        "strike,call_gex_mm,put_gex_mm,net_gex_mm,open_interest,contracts_without_gamma"
    );
    let total = gex.last().unwrap();
    let expected = |x: f64| format!("{:.1}", x * 40_020.0025 / 1e6);
    assert_eq!(
        *total,
        format!(
            ",{},{},{},9500,0",
            expected(11.0),
            expected(90.0),
            expected(-79.0)
        )
    );
}

#[tokio::test]
async fn print_clusters_carries_an_open_cluster_across_batches_and_days() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // 20,000 prints of one contract 10 ms apart on two exchanges (a chain longer than two of
    // DataFusion's 8,192-row batches), then one print of another contract, and a second day.
    let mut csv = String::from("contract,ts,seq,exchange,size,price\n");
    let start_us = 1_772_463_600_000_000_i64; // 2026-03-02 15:00 UTC
    for i in 0..20_000_i64 {
        let _ = writeln!(
            csv,
            "AAPL260320C00190000,{},{i},{},1,1.00",
            start_us + i * 10_000,
            i % 2
        );
    }
    let _ = writeln!(csv, "MSFT260320C00400000,{start_us},20000,1,1,1.00");
    let _ = writeln!(
        csv,
        "AAPL260320C00190000,{},20001,1,1,1.00",
        start_us + 86_400_000_000
    );
    let tape = dir.path().join("chain.csv");
    std::fs::write(&tape, csv).unwrap();
    option_trades::ingest_files(&lake, &[tape], &OptionTradesOptions::default()).unwrap();
    let gap = query_rows(
        lake.root(),
        "SELECT date, contract, cluster_prints, cluster_exchanges, count(*), count(DISTINCT cluster_id) \
         FROM print_clusters(10, 'gap') GROUP BY 1, 2, 3, 4 ORDER BY 1, 2",
    )
    .await;
    assert_eq!(
        gap,
        vec![
            "2026-03-02|AAPL260320C00190000|20000|2|20000|1",
            "2026-03-02|MSFT260320C00400000|1|1|1|1",
            "2026-03-03|AAPL260320C00190000|1|1|1|1",
        ]
    );
    // A cluster never spans two trading dates, whatever the window: a filter on the date leaves
    // every cluster whole.
    let day_long = query_rows(
        lake.root(),
        "SELECT date, max(cluster_prints) FROM print_clusters(86400000, 'gap') \
         WHERE contract LIKE 'AAPL%' GROUP BY date ORDER BY date",
    )
    .await;
    assert_eq!(day_long, vec!["2026-03-02|20000", "2026-03-03|1"]);
    // Anchored at 10 ms, the same chain is 10,000 clusters of two prints (0 and 10 ms).
    let anchored = query_rows(
        lake.root(),
        "SELECT cluster_prints, count(*), count(DISTINCT cluster_id) FROM print_clusters(10) \
         WHERE date = DATE '2026-03-02' AND contract LIKE 'AAPL%' GROUP BY 1",
    )
    .await;
    assert_eq!(anchored, vec!["2|20000|10000"]);
}

#[tokio::test]
async fn re_ingests_replace_a_source_whole_and_names_must_differ() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let tape = dir.path().join("tape.csv");
    let header = "contract,ts,seq,exchange,size,price\n";
    std::fs::write(
        &tape,
        format!(
            "{header}AAPL260320C00190000,2026-03-02T15:00:00Z,1,1,1,1.00\n\
             AAPL260320C00190000,2026-03-03T15:00:00Z,2,1,1,1.00\n"
        ),
    )
    .unwrap();
    option_trades::ingest_files(&lake, &[tape.clone()], &OptionTradesOptions::default()).unwrap();
    // The corrected tape has both prints on 03-02: nothing of the old 03-03 may stay.
    std::fs::write(
        &tape,
        format!(
            "{header}AAPL260320C00190000,2026-03-02T15:00:00Z,1,1,1,1.00\n\
             AAPL260320C00190000,2026-03-02T16:00:00Z,2,1,1,1.00\n"
        ),
    )
    .unwrap();
    option_trades::ingest_files(&lake, &[tape.clone()], &OptionTradesOptions::default()).unwrap();
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT date, count(*) FROM option_trades GROUP BY date"
        )
        .await,
        vec!["2026-03-02|2"]
    );
    // Two sources of one run with one name would replace each other: refused before anything lands.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(&tape, other.join("tape.csv")).unwrap();
    let error = option_trades::ingest_files(
        &lake,
        &[tape, other.join("tape.csv")],
        &OptionTradesOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("have the same file name"),
        "{error}"
    );
}

#[tokio::test]
async fn the_quote_in_force_is_found_to_the_nanosecond_and_on_the_same_day() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let base = 1_772_463_600_000_000_000_u64; // 2026-03-02 15:00 UTC, in ns
    let trades = dir.path().join("trades.csv");
    std::fs::write(
        &trades,
        format!(
            "ticker,conditions,correction,exchange,price,sip_timestamp,size\n\
             O:AAPL260320C00190000,209,0,312,1.10,{},5\n\
             O:AAPL260320C00190000,209,0,312,1.10,{},5\n",
            base + 10_000_100,
            base + 86_400_000_000_000
        ),
    )
    .unwrap();
    let quotes = dir.path().join("quotes.csv");
    std::fs::write(
        &quotes,
        format!(
            "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp\n\
             O:AAPL260320C00190000,312,1.10,50,313,1.00,40,1,{base}\n\
             O:AAPL260320C00190000,312,1.25,50,313,1.10,40,2,{}\n",
            base + 10_000_900
        ),
    )
    .unwrap();
    let options = OptionTradesOptions {
        quotes: vec![quotes],
        ..Default::default()
    };
    option_trades::ingest_files(&lake, &[trades], &options).unwrap();
    let rows = query_rows(
        lake.root(),
        "SELECT date, bid, ask, trade_side(price, bid, ask) FROM option_trades ORDER BY ts",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            // The 1.10/1.25 quote came 800 ns after the print, in the same microsecond.
            "2026-03-02|1|1.1|ask",
            // The next day's print has no quote of its own day.
            "2026-03-03|NULL|NULL|NULL",
        ]
    );
}

#[tokio::test]
async fn open_interest_is_one_figure_per_contract_and_day_in_options_flow() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let tape = dir.path().join("tape.csv");
    std::fs::write(
        &tape,
        "contract,ts,seq,exchange,size,price\n\
         SPX260618P07400000,2026-06-12T15:00:00Z,1,1,1,30.00\n\
         SPX260618C07500000,2026-06-12T15:00:01Z,2,1,1,5.00\n",
    )
    .unwrap();
    option_trades::ingest_files(&lake, &[tape], &OptionTradesOptions::default()).unwrap();
    // CBOE's chain without symbols: the 7400 puts twice (SPX and SPXW); the 7500 call once. A
    // second file of the day agrees on the call.
    let chain = dir.path().join("SPX_2026-06-12.csv");
    std::fs::write(
        &chain,
        "# spot,7400.0000,ts,2026-06-12 15:30:32\nstrike,dte,cp,oi,gamma,delta,iv,bid,ask\n\
         7400.00,6,P,100,0.001,-0.5,0.16,30.00,31.00\n\
         7400.00,6,P,4,0.001,-0.5,0.16,30.00,31.00\n\
         7500.00,6,C,200,0.0005,0.2,0.14,5.00,6.00\n",
    )
    .unwrap();
    let again = dir.path().join("SPX_2026-06-12_copy.csv");
    std::fs::write(
        &again,
        "# spot,7400.0000,ts,2026-06-12 15:30:32\nstrike,dte,cp,oi,gamma,delta,iv,bid,ask\n\
         7500.00,6,C,200,0.0005,0.2,0.14,5.00,6.00\n",
    )
    .unwrap();
    let options = ChainOptions {
        underlying: Some("SPX".to_string()),
        ..Default::default()
    };
    option_chains::ingest_files(&lake, &[chain, again], &options).unwrap();
    let rows = query_rows(
        lake.root(),
        "SELECT seq, open_interest FROM options_flow ORDER BY seq",
    )
    .await;
    // One row per print; the puts' open interest is ambiguous, so unknown.
    assert_eq!(rows, vec!["1|NULL", "2|200"]);
}

#[tokio::test]
async fn the_tapes_column_names_do_not_hide_the_quote_files_own() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let fills = dir.path().join("fills.csv");
    std::fs::write(
        &fills,
        "OCC,Time,Venue,Qty,Px\nAAPL  260320C00190000,2026-03-02T15:00:00.010Z,X,5,1.10\n",
    )
    .unwrap();
    let quotes = dir.path().join("quotes.csv");
    std::fs::write(
        &quotes,
        "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp\n\
         O:AAPL260320C00190000,312,1.10,50,313,1.00,40,1,1772463600000000000\n",
    )
    .unwrap();
    let options = OptionTradesOptions {
        quotes: vec![quotes],
        column_map: [
            "contract=OCC",
            "ts=Time",
            "exchange=Venue",
            "size=Qty",
            "price=Px",
        ]
        .iter()
        .map(|pair| {
            let (target, header) = pair.split_once('=').unwrap();
            (target.to_string(), header.to_string())
        })
        .collect(),
        ..Default::default()
    };
    let report = option_trades::ingest_files(&lake, &[fills], &options).unwrap();
    assert_eq!(
        report.quotes.map(|q| (q.rows_written, q.failures.len())),
        Some((1, 0))
    );
    let rows = query_rows(
        lake.root(),
        "SELECT contract, exchange, bid, ask FROM option_trades",
    )
    .await;
    assert_eq!(rows, vec!["AAPL260320C00190000|X|1|1.1"]);
}

#[tokio::test]
async fn options_flow_prices_its_greeks_at_the_sessions_rate() {
    let lake = Lake::new(crate::support::repo().join("data"));
    let first_call = "SELECT seq, spot, strike_price, years_to_expiry(ts, expiration_date), price, delta, \
                      implied_volatility FROM options_flow WHERE option_type = 'CALL' AND delta IS NOT NULL \
                      ORDER BY seq LIMIT 1";
    let mut deltas = Vec::new();
    for rate in [0.0, 0.10] {
        let settings = whalewatch::sql::SessionSettings {
            threads: Some(2),
            risk_free_rate: rate,
            ..Default::default()
        };
        let ctx = whalewatch::sql::open_session(&lake, &settings)
            .await
            .unwrap();
        let batches = ctx.sql(first_call).await.unwrap().collect().await.unwrap();
        let row = &crate::slt::render_rows(&batches)[0];
        let number = |i: usize| row[i].parse::<f64>().unwrap();
        let (spot, strike, years, price, delta, sigma) = (
            number(1),
            number(2),
            number(3),
            number(4),
            number(5),
            number(6),
        );
        // By the closed form at this rate: the fill's price gives sigma back, and delta is N(d1).
        let d1 =
            ((spot / strike).ln() + (rate + sigma * sigma / 2.0) * years) / (sigma * years.sqrt());
        let d2 = d1 - sigma * years.sqrt();
        let normal = |x: f64| 0.5 * erfc(-x / std::f64::consts::SQRT_2);
        let model = spot * normal(d1) - strike * (-rate * years).exp() * normal(d2);
        assert!(
            (model - price).abs() < 1e-4,
            "rate {rate}: {model} vs the fill {price}"
        );
        assert!(
            (normal(d1) - delta).abs() < 1e-6,
            "rate {rate}: N(d1) {} vs {delta}",
            normal(d1)
        );
        deltas.push(delta);
    }
    assert!(
        (deltas[0] - deltas[1]).abs() > 1e-4,
        "the rate matters: {deltas:?}"
    );
}

/// erfc by Numerical Recipes' Chebyshev fit (erfcc, relative error under 1.2e-7): independent of
/// the crate's normal distribution, accurate enough for the tolerances above.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[tokio::test]
async fn a_source_only_ever_removes_its_own_days() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // Two days' chains, each named chain.csv in its own directory, dated by --date.
    for (day, oi) in [("2026-03-02", 100), ("2026-03-03", 200)] {
        let folder = dir.path().join(day);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(
            folder.join("chain.csv"),
            format!("contract,open_interest\nAAPL260320C00190000,{oi}\n"),
        )
        .unwrap();
        let options = ChainOptions {
            date: day.parse().ok(),
            ..Default::default()
        };
        option_chains::ingest_files(&lake, &[folder.join("chain.csv")], &options).unwrap();
    }
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT date, open_interest FROM open_interest ORDER BY date"
        )
        .await,
        vec!["2026-03-02|100", "2026-03-03|200"]
    );
    // A tape re-ingested with every row refused (times without an offset) keeps what it had.
    let tape = dir.path().join("tape.csv");
    let header = "contract,ts,seq,exchange,size,price\n";
    std::fs::write(
        &tape,
        format!("{header}AAPL260320C00190000,2026-03-02T15:00:00Z,1,1,1,1.00\n"),
    )
    .unwrap();
    option_trades::ingest_files(&lake, &[tape.clone()], &OptionTradesOptions::default()).unwrap();
    std::fs::write(
        &tape,
        format!("{header}AAPL260320C00190000,2026-03-02 10:00:00,1,1,1,1.00\n"),
    )
    .unwrap();
    let report =
        option_trades::ingest_files(&lake, &[tape], &OptionTradesOptions::default()).unwrap();
    assert_eq!(report.trades.rows_rejected, 1);
    assert_eq!(
        query_rows(lake.root(), "SELECT count(*) FROM option_trades").await,
        vec!["1"]
    );
}
