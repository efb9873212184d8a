//! `typical_price(high, low, close)`: (high + low + close) / 3.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::bar_kernel::per_bar_scalar;

#[user_doc(
    doc_section(label = "Money flow"),
    description = "The typical price of a bar, (high + low + close) / 3: the price MFI weighs volume by.",
    syntax_example = "typical_price(high, low, close)",
    sql_example = r#"```sql
> SELECT typical_price(12.0, 9.0, 10.5) AS tp;
+------+
| tp   |
+------+
| 10.5 |
+------+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TypicalPrice {
    signature: Signature,
}

per_bar_scalar!(TypicalPrice, "typical_price", |high, low, close| (high
    + low
    + close)
    / 3.0);

#[cfg(test)]
mod tests {
    use crate::test_support::{query_f64, stockcharts_sheet};

    #[tokio::test]
    async fn matches_the_stockcharts_typical_price_column() {
        // cs-mfi.csv: Date,High,Low,Close,Typical Price (5 decimals),…
        let sheet = stockcharts_sheet("cs-mfi.csv");
        let rows: Vec<String> = sheet
            .iter()
            .enumerate()
            .map(|(i, r)| format!("({i}, {}, {}, {})", r[1], r[2], r[3]))
            .collect();
        let got = query_f64(
            "g, h, l, c",
            &rows.join(", "),
            "SELECT typical_price(h, l, c) FROM v ORDER BY g",
        )
        .await;
        for (row, expected) in sheet.iter().enumerate() {
            let expected: f64 = expected[4].parse().unwrap();
            assert!(
                (got[row].unwrap() - expected).abs() <= 0.0000051,
                "row {row}"
            );
        }
    }
}
