//! whalewatch's SQL functions for Apache DataFusion.
//!
//! One function per file, each with its [`Documentation`] and its tests. The crate knows nothing
//! of the lake: [`register_all`] adds every function to any `SessionContext`
//! (whalewatch's own, datafusion-cli's, a Ballista executor's).

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, Documentation, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

pub mod ad_line;
pub mod aggressiveness;
mod bar_kernel;
mod black_scholes;
pub mod bs_delta;
pub mod bs_gamma;
pub mod bs_price;
pub mod bs_rho;
pub mod bs_theta;
pub mod bs_vega;
pub mod chaikin_osc;
pub mod cmf;
pub mod dix;
pub mod dpi;
pub mod gex;
pub mod implied_vol;
pub mod implied_vol_reason;
pub mod mfi;
pub mod mfm;
mod money_flow_multiplier;
pub mod new_york_session;
pub mod obv;
pub mod option_sentiment;
pub mod parse_osi;
pub mod print_cluster;
pub mod put_call_premium_ratio;
pub mod put_call_ratio;
mod quote_position;
#[cfg(test)]
mod random_bars_reference;
mod ratio_of_sums;
mod running_window;
pub mod smart_money_flow;
pub mod smart_money_index;
pub mod trade_side;
pub mod typical_price;
pub mod vwap;
mod window_arguments;
pub mod years_to_expiry;

/// Every aggregate function this crate provides.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(dpi::Dpi::default())),
        Arc::new(AggregateUDF::from(dix::Dix::default())),
        Arc::new(AggregateUDF::from(vwap::Vwap::default())),
        Arc::new(AggregateUDF::from(gex::Gex::default())),
        Arc::new(AggregateUDF::from(put_call_ratio::PutCallRatio::default())),
        Arc::new(AggregateUDF::from(
            put_call_premium_ratio::PutCallPremiumRatio::default(),
        )),
        Arc::new(AggregateUDF::from(
            smart_money_flow::SmartMoneyFlow::default(),
        )),
    ]
}

/// Every scalar function this crate provides.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(bs_price::BsPrice::default())),
        Arc::new(ScalarUDF::from(bs_delta::BsDelta::default())),
        Arc::new(ScalarUDF::from(bs_gamma::BsGamma::default())),
        Arc::new(ScalarUDF::from(bs_theta::BsTheta::default())),
        Arc::new(ScalarUDF::from(bs_vega::BsVega::default())),
        Arc::new(ScalarUDF::from(bs_rho::BsRho::default())),
        Arc::new(ScalarUDF::from(implied_vol::ImpliedVol::default())),
        Arc::new(ScalarUDF::from(
            implied_vol_reason::ImpliedVolReason::default(),
        )),
        Arc::new(ScalarUDF::from(mfm::Mfm::default())),
        Arc::new(ScalarUDF::from(trade_side::TradeSide::default())),
        Arc::new(ScalarUDF::from(parse_osi::ParseOsi::default())),
        Arc::new(ScalarUDF::from(aggressiveness::Aggressiveness::default())),
        Arc::new(ScalarUDF::from(option_sentiment::OptionSentiment::default())),
        Arc::new(ScalarUDF::from(typical_price::TypicalPrice::default())),
        Arc::new(ScalarUDF::from(years_to_expiry::YearsToExpiry::default())),
    ]
}

/// Every window function this crate provides.
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    vec![
        Arc::new(WindowUDF::from(ad_line::AdLine::default())),
        Arc::new(WindowUDF::from(chaikin_osc::ChaikinOsc::default())),
        Arc::new(WindowUDF::from(cmf::Cmf::default())),
        Arc::new(WindowUDF::from(mfi::Mfi::default())),
        Arc::new(WindowUDF::from(obv::Obv::default())),
        Arc::new(WindowUDF::from(print_cluster::PrintCluster::default())),
        Arc::new(WindowUDF::from(
            smart_money_index::SmartMoneyIndex::default(),
        )),
    ]
}

/// Registers every whalewatch function with `ctx`.
pub fn register_all(ctx: &SessionContext) {
    for function in aggregate_functions() {
        ctx.register_udaf(function.as_ref().clone());
    }
    for function in window_functions() {
        ctx.register_udwf(function.as_ref().clone());
    }
    for function in scalar_functions() {
        ctx.register_udf(function.as_ref().clone());
    }
}

/// One function's name, kind and documentation, for `whalewatch functions` and the README.
#[derive(Debug, Clone)]
pub struct FunctionDoc {
    pub name: String,
    pub kind: &'static str,
    pub documentation: Documentation,
}

/// The documentation of every function, sorted by name.
pub fn function_docs() -> Vec<FunctionDoc> {
    let mut docs: Vec<FunctionDoc> = aggregate_functions()
        .iter()
        .filter_map(|f| {
            f.documentation().map(|d| FunctionDoc {
                name: f.name().to_string(),
                kind: "aggregate",
                documentation: d.clone(),
            })
        })
        .collect();
    docs.extend(window_functions().iter().filter_map(|f| {
        f.documentation().map(|d| FunctionDoc {
            name: f.name().to_string(),
            kind: "window",
            documentation: d.clone(),
        })
    }));
    docs.extend(scalar_functions().iter().filter_map(|f| {
        f.documentation().map(|d| FunctionDoc {
            name: f.name().to_string(),
            kind: "scalar",
            documentation: d.clone(),
        })
    }));
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    docs
}

#[cfg(test)]
mod test_support {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    use datafusion::prelude::SessionContext;

    /// Runs `sql` over the view `v(columns)` built from `rows` (a SQL VALUES list) and returns
    /// the last column as Float64 values.
    pub async fn query_f64(columns: &str, rows: &str, sql: &str) -> Vec<Option<f64>> {
        let ctx = SessionContext::new();
        super::register_all(&ctx);
        ctx.sql(&format!("CREATE VIEW v ({columns}) AS VALUES {rows}"))
            .await
            .expect("view");
        let batches = ctx
            .sql(sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let mut out = Vec::new();
        for batch in batches {
            let column = batch.column(batch.num_columns() - 1);
            let column = datafusion::arrow::compute::cast(
                column,
                &datafusion::arrow::datatypes::DataType::Float64,
            )
            .expect("float");
            let values = column.as_primitive::<Float64Type>();
            out.extend((0..values.len()).map(|i| values.is_valid(i).then(|| values.value(i))));
        }
        out
    }

    /// The repository's `tests/fixtures/`. Read from the environment cargo gives a running test,
    /// not baked in at compile time: a test binary reused from a build of another checkout (one
    /// shared target directory) must still find this checkout's files.
    pub fn fixtures_dir() -> std::path::PathBuf {
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        crate_dir.join("../tests/fixtures")
    }

    /// The rows of a StockCharts ChartSchool sheet in tests/fixtures/indicators/, header skipped,
    /// each row split on commas.
    pub fn stockcharts_sheet(name: &str) -> Vec<Vec<String>> {
        let path = fixtures_dir().join("indicators").join(name);
        let text = std::fs::read_to_string(&path).expect("fixture");
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
            .collect()
    }

    /// The VALUES list `(row, high, low, close, volume)` of a StockCharts sheet whose columns 1 to 3
    /// are High, Low and Close and whose column `volume` is the volume.
    pub fn sheet_bars(sheet: &[Vec<String>], volume: usize) -> String {
        sheet
            .iter()
            .enumerate()
            .map(|(i, r)| format!("({i}, {}, {}, {}, {})", r[1], r[2], r[3], r[volume]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks `function(high, low, close)` against column `column` of a StockCharts sheet whose
    /// columns 1 to 3 are High, Low and Close, row by row, within `tolerance` (the sheet's rounding).
    pub async fn assert_matches_sheet_column(
        function: &str,
        sheet: &str,
        column: usize,
        tolerance: f64,
    ) {
        let sheet = stockcharts_sheet(sheet);
        let rows: Vec<String> = sheet
            .iter()
            .enumerate()
            .map(|(i, r)| format!("({i}, {}, {}, {})", r[1], r[2], r[3]))
            .collect();
        let sql = format!("SELECT {function}(h, l, c) FROM v ORDER BY g");
        let got = query_f64("g, h, l, c", &rows.join(", "), &sql).await;
        assert_eq!(got.len(), sheet.len());
        for (row, expected) in sheet.iter().enumerate() {
            let expected: f64 = expected[column].parse().expect("a number in the sheet");
            let ours = got[row].expect("a value");
            assert!(
                (ours - expected).abs() <= tolerance,
                "{function}, row {row}: {ours} against the sheet's {expected}"
            );
        }
    }
}
