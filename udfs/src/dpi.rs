//! `dpi(short_volume, total_volume)`: the Dark Pool Indicator, Σ short / Σ total.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, RatioOfSumsAccumulator, RatioOfSumsGroupsAccumulator,
};

#[user_doc(
    doc_section(label = "Dark pool"),
    description = "DPI, the Dark Pool Indicator: the share of volume reported short through FINRA's \
trade reporting facilities, Σ short_volume / Σ total_volume over the rows of the group \
(a volume-weighted ratio, not an average of daily ratios). FINRA's ShortVolume already \
includes ShortExemptVolume: pass short_volume alone. Rows with a NULL argument are skipped; \
NULL when the group has no volume.",
    syntax_example = "dpi(short_volume, total_volume)",
    sql_example = r#"```sql
> SELECT symbol, dpi(short_volume, total_volume) AS dpi
  FROM short_volume_consolidated WHERE date = DATE '2021-08-02' AND symbol = 'AAL' GROUP BY symbol;
+--------+---------------------+
| symbol | dpi                 |
+--------+---------------------+
| AAL    | 0.45907066031126215 |
+--------+---------------------+
```"#,
    argument(
        name = "short_volume",
        description = "Shares reported short (FINRA ShortVolume)."
    ),
    argument(
        name = "total_volume",
        description = "Shares reported in total (FINRA TotalVolume)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Dpi {
    signature: Signature,
}

impl Default for Dpi {
    fn default() -> Self {
        Self {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

ratio_of_sums_aggregate!(
    Dpi,
    "dpi",
    RatioOfSumsAccumulator,
    RatioOfSumsGroupsAccumulator
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    // FINRA CNMS 2021-08-02 (AAL, ABBV): (5397162 + 616179) / (11756713 + 1886830), by hand.
    const AAL_ABBV_DPI: f64 = 6_013_341.0 / 13_643_543.0;

    #[tokio::test]
    async fn grouped_ratio_of_sums() {
        let rows =
            "(1, 5397162, 11756713), (1, 616179, 1886830), (2, 0, 100), (2, NULL, 50), (3, 10, 0)";
        let got = query_f64(
            "g, s, t",
            rows,
            "SELECT g, dpi(s, t) FROM v GROUP BY g ORDER BY g",
        )
        .await;
        assert!((got[0].unwrap() - AAL_ABBV_DPI).abs() < 1e-15, "{got:?}");
        // A NULL short volume drops the whole row, so its total does not dilute the ratio.
        assert_eq!(got[1], Some(0.0));
        // No volume at all: undefined, not a division by zero.
        assert_eq!(got[2], None);
    }

    #[tokio::test]
    async fn single_group_and_filter_clause() {
        let rows = "(1, 5397162, 11756713), (1, 616179, 1886830), (2, 99, 100)";
        let got = query_f64(
            "g, s, t",
            rows,
            "SELECT dpi(s, t) FILTER (WHERE g = 1) FROM v",
        )
        .await;
        assert!((got[0].unwrap() - AAL_ABBV_DPI).abs() < 1e-15);
        let empty = query_f64("g, s, t", rows, "SELECT dpi(s, t) FROM v WHERE g = 7").await;
        assert_eq!(empty, vec![None]);
    }

    #[tokio::test]
    async fn sliding_window_retracts() {
        // Two-row frames: (10/100 + 30/100) → 40/200, then (30 + 50) / 200.
        let rows = "(1, 10, 100), (2, 30, 100), (3, 50, 100)";
        let got = query_f64("g, s, t", rows,
            "SELECT dpi(s, t) OVER (ORDER BY g ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got, vec![Some(0.1), Some(0.2), Some(0.4)]);
    }

    #[tokio::test]
    async fn every_aggregation_path_agrees_with_plain_sums() {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::Float64Type;
        use datafusion::prelude::{SessionConfig, SessionContext};

        // Partial aggregation is skipped at once here, so rows go through convert_to_state and
        // merge_batch as well as update_batch; the reference is SUM over the same non-NULL rows.
        for skip_partial in [false, true] {
            let mut config = SessionConfig::new()
                .with_target_partitions(2)
                .with_batch_size(512);
            if skip_partial {
                config = config
                    .set_usize(
                        "datafusion.execution.skip_partial_aggregation_probe_rows_threshold",
                        0,
                    )
                    .set_str(
                        "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
                        "0.0",
                    );
            }
            let ctx = SessionContext::new_with_config(config);
            crate::register_all_in_session(&ctx).expect("register");
            let sql = "WITH v AS (SELECT value % 97 AS g, CASE WHEN value % 11 = 0 THEN NULL ELSE value END AS s, \
                       value * 3 + 1 AS t FROM generate_series(1, 20000)) \
                       SELECT g, dpi(s, t), CAST(sum(s) AS DOUBLE) / sum(CASE WHEN s IS NOT NULL THEN t END) FROM v GROUP BY g";
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let mut groups = 0;
            for batch in batches {
                let ours = batch.column(1).as_primitive::<Float64Type>();
                let reference = datafusion::arrow::compute::cast(
                    batch.column(2),
                    &datafusion::arrow::datatypes::DataType::Float64,
                )
                .unwrap();
                let reference = reference.as_primitive::<Float64Type>();
                for row in 0..batch.num_rows() {
                    assert!(
                        (ours.value(row) - reference.value(row)).abs() < 1e-12,
                        "group row {row}: {} against {}",
                        ours.value(row),
                        reference.value(row)
                    );
                    groups += 1;
                }
            }
            assert_eq!(groups, 97);
        }
    }
}
