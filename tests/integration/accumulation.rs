//! `queries/accumulation_distribution.sql` on the sample lake against the same figures computed
//! here from the sample's CSV files, by definition: least squares by hand, A/D, OBV and MFI as
//! StockCharts defines them, Smart Money Flow from the minute bars' New York times as written.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::{copy_tree, repo};

struct Day {
    date: String,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

fn csv_rows(path: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Slope and R² of y against 0, 1, 2, …
fn least_squares(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let x_mean = (n - 1.0) / 2.0;
    let y_mean = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let (dx, dy) = (i as f64 - x_mean, v - y_mean);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxy / sxx, sxy * sxy / (sxx * syy))
}

#[test]
fn the_query_matches_the_definitions_on_the_sample_lake() {
    const DAYS: usize = 10;
    let lake = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("data"), lake.path());
    let output = Command::new(env!("CARGO_BIN_EXE_whalewatch"))
        .current_dir(repo())
        .env("WHALEWATCH_LAKE", lake.path())
        .env_remove("WHALEWATCH_CONFIG")
        .args(["run", "queries/accumulation_distribution.sql", "-p"])
        .arg(format!("days={DAYS}"))
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "symbol,detection_date,pattern_type,confidence,institutional_ownership_change,\
         smart_money_flow,obv_trend,money_flow_index,accumulation_line_slope,major_buyers,major_sellers"
    );
    let got: BTreeMap<String, Vec<String>> = lines
        .map(|l| {
            let fields: Vec<String> = l.split(',').map(str::to_string).collect();
            (fields[0].clone(), fields)
        })
        .collect();
    assert_eq!(got.len(), 3);

    let daily = csv_rows("data/samples/illustrative_daily_bars.csv");
    let minutes = csv_rows("data/samples/illustrative_minute_bars.csv");
    for (symbol, row) in &got {
        let days: Vec<Day> = daily
            .iter()
            .filter(|r| &r[1] == symbol)
            .map(|r| Day {
                date: r[0].clone(),
                high: r[3].parse().unwrap(),
                low: r[4].parse().unwrap(),
                close: r[5].parse().unwrap(),
                volume: r[6].parse().unwrap(),
            })
            .collect();
        let n = days.len();
        let recent = &days[n - DAYS..];
        let mut ad = Vec::new();
        let mut obv = Vec::new();
        let (mut line, mut balance) = (0.0, 0.0);
        for (i, d) in days.iter().enumerate() {
            if d.high != d.low {
                line += ((d.close - d.low) - (d.high - d.close)) / (d.high - d.low) * d.volume;
            }
            if i > 0 && d.close > days[i - 1].close {
                balance += d.volume;
            } else if i > 0 && d.close < days[i - 1].close {
                balance -= d.volume;
            }
            ad.push(line);
            obv.push(balance);
        }
        let average_volume = recent.iter().map(|d| d.volume).sum::<f64>() / DAYS as f64;
        let (ad_slope, r2) = least_squares(&ad[n - DAYS..]);
        let (obv_slope, _) = least_squares(&obv[n - DAYS..]);
        let (ad_slope, obv_slope) = (ad_slope / average_volume, obv_slope / average_volume);
        let price_change = recent[DAYS - 1].close / recent[0].close - 1.0;
        let typical = |d: &Day| (d.high + d.low + d.close) / 3.0;
        let (mut positive, mut negative) = (0.0, 0.0);
        for i in n - 14..n {
            let flow = typical(&days[i]) * days[i].volume;
            if typical(&days[i]) > typical(&days[i - 1]) {
                positive += flow;
            } else if typical(&days[i]) < typical(&days[i - 1]) {
                negative += flow;
            }
        }
        let mfi = 100.0 * positive / (positive + negative);
        // Smart Money Flow: the minute files are stamped in New York time (-0500 in January).
        let mut by_date: BTreeMap<&str, f64> = BTreeMap::new();
        for m in minutes.iter().filter(|m| &m[0] == symbol) {
            let (date, clock) = (&m[1][..10], &m[1][11..16]);
            if date < recent[0].date.as_str() {
                continue;
            }
            let dollars = m[5].parse::<f64>().unwrap() * m[6].parse::<f64>().unwrap();
            let flow = by_date.entry(date).or_default();
            if ("09:30".."10:00").contains(&clock) {
                *flow -= dollars;
            } else if ("10:00".."16:00").contains(&clock) {
                *flow += dollars;
            }
        }
        let smart_money_flow = by_date.values().sum::<f64>() / by_date.len() as f64;

        let pattern = if ad_slope >= 0.02 && price_change > 0.0 {
            "accumulation"
        } else if ad_slope <= -0.02 && price_change < 0.0 {
            "distribution"
        } else {
            "neutral"
        };
        let obv_trend = if obv_slope >= 0.02 {
            "rising"
        } else if obv_slope <= -0.02 {
            "falling"
        } else {
            "flat"
        };
        let confidence = match pattern {
            "accumulation" => {
                0.5 * r2
                    + if obv_trend == "rising" { 0.25 } else { 0.0 }
                    + if mfi > 50.0 { 0.25 } else { 0.0 }
            }
            "distribution" => {
                0.5 * r2
                    + if obv_trend == "falling" { 0.25 } else { 0.0 }
                    + if mfi < 50.0 { 0.25 } else { 0.0 }
            }
            _ => 1.0 - r2,
        };
        let number = |i: usize| row[i].parse::<f64>().unwrap();
        assert_eq!(row[1], days[n - 1].date, "{symbol}");
        assert_eq!(row[2], pattern, "{symbol}");
        assert!(
            (number(3) - confidence).abs() <= 0.0051,
            "{symbol}: {row:?} {confidence}"
        );
        assert_eq!(
            (row[4].as_str(), row[9].as_str(), row[10].as_str()),
            ("", "", "")
        );
        assert!(
            (number(5) - smart_money_flow).abs() <= 0.0051,
            "{symbol}: {row:?} {smart_money_flow}"
        );
        assert_eq!(row[6], obv_trend, "{symbol}");
        assert!((number(7) - mfi).abs() <= 0.0051, "{symbol}: {row:?} {mfi}");
        assert!(
            (number(8) - ad_slope).abs() <= 0.000051,
            "{symbol}: {row:?} {ad_slope}"
        );
    }
}
