//! What the tests of the functions share: a query over a VALUES view, and the fixture sheets.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::prelude::SessionContext;

/// Runs `sql` over the view `v(columns)` built from `rows` (a SQL VALUES list) and returns
/// the last column as Float64 values.
pub async fn query_f64(columns: &str, rows: &str, sql: &str) -> Vec<Option<f64>> {
    let ctx = SessionContext::new();
    crate::register_all_in_session(&ctx).expect("register");
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
