//! The money-flow window functions against straightforward reference loops on 100,000 random
//! bars: 50 symbols of 2,000 bars each plus one-bar symbols, shuffled so that the window sort is
//! exercised, with flat bars (high = low), zero volume, repeated prices and NULL volumes mixed in.
//! The references follow the textbook definitions, one symbol at a time, without the evaluators'
//! ring buffers or shared helpers.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::prelude::SessionContext;

/// xorshift64*: deterministic random numbers without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy)]
struct Bar {
    high: f64,
    low: f64,
    close: f64,
    volume: Option<f64>,
}

fn random_symbol(random: &mut Random, bars: usize) -> Vec<Bar> {
    let mut price = 20.0 + 200.0 * random.next();
    (0..bars)
        .map(|_| {
            // Prices on a 5-cent grid, so equal closes and typical prices happen often.
            let step = |x: f64| (x * 20.0).round() / 20.0;
            price = step((price * (1.0 + 0.03 * (random.next() - 0.5))).max(1.0));
            let kind = random.next();
            let (high, low) = if kind < 0.03 {
                (price, price)
            } else {
                (
                    step(price + 2.0 * random.next()),
                    step((price - 2.0 * random.next()).max(0.5)),
                )
            };
            let volume = match random.next() {
                v if v < 0.005 => None,
                v if v < 0.025 => Some(0.0),
                _ => Some((1_000_000.0 * random.next()).round()),
            };
            Bar {
                high,
                low,
                close: price,
                volume,
            }
        })
        .collect()
}

fn money_flow_volume(bar: &Bar, volume: f64) -> f64 {
    if bar.high == bar.low {
        0.0
    } else {
        ((bar.close - bar.low) - (bar.high - bar.close)) / (bar.high - bar.low) * volume
    }
}

/// The five indicators of one symbol, in time order, by definition.
fn reference(bars: &[Bar]) -> Vec<[Option<f64>; 5]> {
    let mut out = vec![[None; 5]; bars.len()];
    // A/D line: running sum of money flow volume; a bar without volume adds nothing.
    let mut line = 0.0;
    for (i, bar) in bars.iter().enumerate() {
        if let Some(volume) = bar.volume {
            line += money_flow_volume(bar, volume);
        }
        out[i][0] = Some(line);
    }
    // OBV: from 0; the close always becomes the one to compare with.
    let mut balance = 0.0;
    for i in 0..bars.len() {
        if i > 0 {
            if let Some(volume) = bars[i].volume {
                if bars[i].close > bars[i - 1].close {
                    balance += volume;
                } else if bars[i].close < bars[i - 1].close {
                    balance -= volume;
                }
            }
        }
        out[i][1] = Some(balance);
    }
    // The bars with volume, for MFI(14), CMF(20) and the oscillator (3, 10).
    let valid: Vec<usize> = (0..bars.len())
        .filter(|&i| bars[i].volume.is_some())
        .collect();
    let typical = |i: usize| (bars[i].high + bars[i].low + bars[i].close) / 3.0;
    // Whether the typical price rose or fell, decided exactly: the prices are whole cents, so
    // 3 × typical price in cents is an integer.
    let cents = |i: usize| {
        [bars[i].high, bars[i].low, bars[i].close]
            .iter()
            .map(|p| (p * 100.0).round() as i64)
            .sum::<i64>()
    };
    let volume = |i: usize| bars[i].volume.unwrap_or_default();
    for (k, &i) in valid.iter().enumerate() {
        if k >= 14 {
            let (mut positive, mut negative) = (0.0, 0.0);
            for m in k - 13..=k {
                let flow = typical(valid[m]) * volume(valid[m]);
                match cents(valid[m]).cmp(&cents(valid[m - 1])) {
                    std::cmp::Ordering::Greater => positive += flow,
                    std::cmp::Ordering::Less => negative += flow,
                    std::cmp::Ordering::Equal => {}
                }
            }
            if positive + negative != 0.0 {
                out[i][2] = Some(100.0 * positive / (positive + negative));
            }
        }
        if k >= 19 {
            let flow: f64 = (k - 19..=k)
                .map(|m| money_flow_volume(&bars[valid[m]], volume(valid[m])))
                .sum();
            let shares: f64 = (k - 19..=k).map(|m| volume(valid[m])).sum();
            if shares != 0.0 {
                out[i][3] = Some(flow / shares);
            }
        }
    }
    let mut line = 0.0;
    let (mut fast, mut slow) = (0.0, 0.0);
    for (k, &i) in valid.iter().enumerate() {
        line += money_flow_volume(&bars[i], volume(i));
        if k == 0 {
            (fast, slow) = (line, line);
        } else {
            fast = line * 0.5 + fast * 0.5;
            slow = line * (2.0 / 11.0) + slow * (9.0 / 11.0);
        }
        if k >= 9 {
            out[i][4] = Some(fast - slow);
        }
    }
    out
}

#[tokio::test]
async fn one_hundred_thousand_random_bars_match_the_reference_loops() {
    let mut random = Random(0x5EED_2026);
    let mut symbols: Vec<Vec<Bar>> = (0..50).map(|_| random_symbol(&mut random, 2_000)).collect();
    symbols.extend((0..5).map(|_| random_symbol(&mut random, 1)));
    let mut rows: Vec<(i64, i64)> = symbols
        .iter()
        .enumerate()
        .flat_map(|(s, bars)| (0..bars.len()).map(move |i| (s as i64, i as i64)))
        .collect();
    // Shuffle (Fisher–Yates), so the window has to sort.
    for i in (1..rows.len()).rev() {
        let j = (random.next() * (i + 1) as f64) as usize;
        rows.swap(i, j);
    }
    let bar = |&(s, i): &(i64, i64)| symbols[s as usize][i as usize];
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("i", DataType::Int64, false),
            Field::new("high", DataType::Float64, false),
            Field::new("low", DataType::Float64, false),
            Field::new("close", DataType::Float64, false),
            Field::new("volume", DataType::Float64, true),
        ])),
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|(s, _)| format!("S{s}")),
            )),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| bar(r).high),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| bar(r).low),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| bar(r).close),
            )),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| bar(r).volume))),
        ],
    )
    .unwrap();
    let ctx = SessionContext::new();
    crate::register_all_in_session(&ctx).expect("register");
    ctx.register_batch("bars", batch).unwrap();
    let expected: Vec<Vec<[Option<f64>; 5]>> = symbols.iter().map(|b| reference(b)).collect();
    // Alone, the functions stream (BoundedWindowAggExec, row by row); next to a frame that needs
    // the whole partition they are evaluated a partition at a time (WindowAggExec, evaluate_all).
    for (operator, extra) in [
        ("BoundedWindowAggExec", ""),
        (
            "WindowAggExec",
            ", sum(volume) OVER (PARTITION BY symbol ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
        ),
    ] {
        let sql = format!(
            "SELECT CAST(substr(symbol, 2) AS BIGINT) AS s, i, \
               ad_line(high, low, close, volume) OVER w, obv(close, volume) OVER w, \
               mfi(high, low, close, volume) OVER w, cmf(high, low, close, volume) OVER w, \
               chaikin_osc(high, low, close, volume) OVER w{extra} \
             FROM bars WINDOW w AS (PARTITION BY symbol ORDER BY i)"
        );
        let plan = ctx.sql(&format!("EXPLAIN {sql}")).await.unwrap().collect().await.unwrap();
        let plan = datafusion::arrow::util::pretty::pretty_format_batches(&plan)
            .unwrap()
            .to_string();
        assert!(plan.contains(&format!(" {operator}: ")), "{plan}");
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        compare(&batches, &expected, operator);
    }
}

fn compare(batches: &[RecordBatch], expected: &[Vec<[Option<f64>; 5]>], operator: &str) {
    let mut compared = [0usize; 5];
    let mut checked_rows = 0;
    for batch in batches {
        let s = batch.column(0).as_primitive::<Int64Type>();
        let i = batch.column(1).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let want = expected[s.value(row) as usize][i.value(row) as usize];
            for (k, name) in ["ad_line", "obv", "mfi", "cmf", "chaikin_osc"]
                .iter()
                .enumerate()
            {
                let column = batch.column(2 + k).as_primitive::<Float64Type>();
                let got = column.is_valid(row).then(|| column.value(row));
                match (got, want[k]) {
                    (Some(a), Some(b)) => {
                        assert!(
                            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                            "{operator}, {name}, symbol {}, bar {}: {a} against {b}",
                            s.value(row),
                            i.value(row)
                        );
                        compared[k] += 1;
                    }
                    (None, None) => {}
                    _ => panic!(
                        "{operator}, {name}, symbol {}, bar {}: {got:?} against {:?}",
                        s.value(row),
                        i.value(row),
                        want[k]
                    ),
                }
            }
            checked_rows += 1;
        }
    }
    assert_eq!(checked_rows, 100_005);
    // Every indicator produced values on nearly every row (NULLs are warm-up and NULL volume).
    assert!(compared.iter().all(|&n| n > 98_000), "{compared:?}");
}
