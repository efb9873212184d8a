//! `dix(short_volume, total_volume, price)`: the dollar-weighted DPI of a basket.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, RatioOfSumsAccumulator, RatioOfSumsGroupsAccumulator,
};

#[user_doc(
    doc_section(label = "Dark pool"),
    description = "DIX, the Dark Index of SqueezeMetrics (\"Short is Long\", 2017): the dollar-weighted \
DPI of a basket, Σ short_volume × price / Σ total_volume × price over the rows of the group. \
Group by day over the basket's members to get the daily DIX. Rows with a NULL argument \
(a member with no price that day) are skipped in both sums; NULL when the group has no dollar volume.",
    syntax_example = "dix(short_volume, total_volume, price)",
    sql_example = r#"```sql
> SELECT s.date, round(dix(s.short_volume, s.total_volume, b.close), 12) AS dix
  FROM short_volume_consolidated s
  JOIN bars b ON b.date = s.date AND b.symbol = s.symbol AND b.timeframe = '1d'
  JOIN baskets k ON k.symbol = s.symbol AND k.basket = 'sample'
  GROUP BY s.date ORDER BY s.date LIMIT 1;
+------------+----------------+
| date       | dix            |
+------------+----------------+
| 2021-01-04 | 0.612768614444 |
+------------+----------------+
```"#,
    argument(
        name = "short_volume",
        description = "Shares reported short (FINRA ShortVolume)."
    ),
    argument(
        name = "total_volume",
        description = "Shares reported in total (FINRA TotalVolume)."
    ),
    argument(
        name = "price",
        description = "The price that turns shares into dollars, usually the day's close."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Dix {
    signature: Signature,
}

impl Default for Dix {
    fn default() -> Self {
        Self {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

ratio_of_sums_aggregate!(
    Dix,
    "dix",
    RatioOfSumsAccumulator,
    RatioOfSumsGroupsAccumulator
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    #[tokio::test]
    async fn dollar_weighting_differs_from_share_weighting() {
        // FINRA CNMS 2021-08-02 volumes for AAL and ABBV, priced at 18.50 and 116.00.
        // By hand: (5397162×18.5 + 616179×116) / (11756713×18.5 + 1886830×116) = 0.39261104948885517,
        // where the share-weighted DPI of the same rows is 0.4407…: ABBV's low DPI weighs more in dollars.
        let rows = "(1, 5397162, 11756713, 18.5), (1, 616179, 1886830, 116.0)";
        let got = query_f64("g, s, t, p", rows, "SELECT dix(s, t, p) FROM v").await;
        assert!(
            (got[0].unwrap() - 0.39261104948885517).abs() < 1e-15,
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn one_member_equals_its_dpi_and_missing_price_is_skipped() {
        let rows = "(1, 5397162, 11756713, 18.5), (1, 616179, 1886830, NULL), (2, 5, 10, 0.0)";
        let got = query_f64(
            "g, s, t, p",
            rows,
            "SELECT g, dix(s, t, p) FROM v GROUP BY g ORDER BY g",
        )
        .await;
        assert!((got[0].unwrap() - 5397162.0 / 11756713.0).abs() < 1e-15);
        // Zero price means zero dollar volume: undefined.
        assert_eq!(got[1], None);
    }

    #[tokio::test]
    async fn a_window_frame_that_all_its_rows_left_is_null() {
        // Retracting 0.1 and then 0.2 from 0.1 + 0.2 leaves 2.8e-17 in both sums, not 0: the row
        // count, not the residue, must decide that the frame of row 4 (two NULL rows) is empty.
        let rows =
            "(1, 0.1, 0.1, 1.0), (2, 0.2, 0.2, 1.0), (3, NULL, NULL, NULL), (4, NULL, NULL, NULL)";
        let got = query_f64(
            "g, s, t, p",
            rows,
            "SELECT dix(s, t, p) OVER (ORDER BY g ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got[3], None, "{got:?}");
        assert_eq!(got[2], Some(1.0));
    }
}
