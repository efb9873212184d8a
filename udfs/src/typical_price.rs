//! `typical_price(high, low, close)`: (high + low + close) / 3.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::bar_kernel::per_bar_scalar;

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

fn typical_price(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

per_bar_scalar!(TypicalPrice, "typical_price", typical_price);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::assert_matches_sheet_column;

    #[tokio::test]
    async fn matches_the_stockcharts_typical_price_column() {
        // cs-mfi.csv: Date,High,Low,Close,Typical Price (5 decimals),…
        assert_matches_sheet_column("typical_price", "cs-mfi.csv", 4, 0.0000051).await;
    }
}
