//! `mfm(high, low, close)`: the money flow multiplier of one bar.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::bar_kernel::per_bar_scalar;
use crate::helpers::money_flow_multiplier::money_flow_multiplier;

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Chaikin's money flow multiplier of one bar: ((close − low) − (high − close)) / (high − low), \
from −1 (close at the low) to +1 (close at the high); 0 when high = low. The step inside ad_line.",
    syntax_example = "mfm(high, low, close)",
    sql_example = r#"```sql
> SELECT mfm(12.0, 10.0, 11.5) AS mfm;
+-----+
| mfm |
+-----+
| 0.5 |
+-----+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Mfm {
    signature: Signature,
}

per_bar_scalar!(Mfm, "mfm", money_flow_multiplier);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{assert_matches_sheet_column, query_f64};

    #[tokio::test]
    async fn matches_the_stockcharts_multiplier_column() {
        // cs-accum.csv: Date,High,Low,Close,MF Multiplier (4 decimals),…
        assert_matches_sheet_column("mfm", "cs-accum.csv", 4, 0.00005).await;
    }

    #[tokio::test]
    async fn no_range_is_zero_and_null_is_null() {
        let got = query_f64(
            "g, h, l, c",
            "(1, 10, 10, 10), (2, NULL, 9, 10), (3, 12, 10, 10)",
            "SELECT mfm(h, l, c) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got, vec![Some(0.0), None, Some(-1.0)]);
    }
}
