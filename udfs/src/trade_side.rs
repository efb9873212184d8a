//! `trade_side(price, bid, ask)`: where a trade printed against the quote.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::quote_position::side;

#[user_doc(
    doc_section(label = "Options"),
    description = "The side of a trade against the quote at trade time, in the flow vendors' five buckets: \
'below_bid' (price < bid), 'bid' (at the bid, or between the bid and the midpoint), 'mid' (at the \
midpoint), 'ask' (between the midpoint and the ask, or at the ask), 'above_ask' (price > ask). A print at \
or beyond the ask is a buyer lifting the offer; at or beyond the bid, a seller hitting it. In a locked \
market (bid = ask) a print at the quote is 'mid'. Prices equal to one part in a billion count as equal. NULL when an argument is NULL or the quote cannot be read \
(bid above ask, ask not positive, bid negative).",
    syntax_example = "trade_side(price, bid, ask)",
    sql_example = r#"```sql
> SELECT trade_side(1.10, 1.00, 1.10) AS at_ask, trade_side(1.02, 1.00, 1.10) AS near_bid,
         trade_side(1.05, 1.00, 1.10) AS mid, trade_side(1.15, 1.00, 1.10) AS sweep_through;
+--------+----------+-----+---------------+
| at_ask | near_bid | mid | sweep_through |
+--------+----------+-----+---------------+
| ask    | bid      | mid | above_ask     |
+--------+----------+-----+---------------+
```"#,
    argument(name = "price", description = "The trade's price."),
    argument(name = "bid", description = "The best bid at trade time."),
    argument(name = "ask", description = "The best ask at trade time.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TradeSide {
    signature: Signature,
}

impl Default for TradeSide {
    fn default() -> Self {
        Self {
            signature: Signature::uniform(3, vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for TradeSide {
    fn name(&self) -> &str {
        "trade_side"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [price, bid, ask] = [0, 1, 2].map(|i| arrays[i].as_primitive::<Float64Type>());
        let sides: StringArray = (0..price.len())
            .map(|row| {
                let valid = price.is_valid(row) && bid.is_valid(row) && ask.is_valid(row);
                valid
                    .then(|| side(price.value(row), bid.value(row), ask.value(row)))
                    .flatten()
                    .map(|s| s.name())
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(sides)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::quote_position::{aggressiveness, side, Side};

    #[test]
    fn buckets_at_their_edges() {
        let (bid, ask) = (1.00, 1.10);
        for (price, expected) in [
            (0.99, Side::BelowBid),
            (1.00, Side::Bid),
            (1.04, Side::Bid),
            (1.05, Side::Mid),
            (1.0500000000001, Side::Mid),
            (1.06, Side::Ask),
            (1.10, Side::Ask),
            (1.11, Side::AboveAsk),
        ] {
            assert_eq!(side(price, bid, ask), Some(expected), "{price}");
        }
        // Locked market: at the quote is the midpoint; crossed or missing quotes are unreadable.
        assert_eq!(side(2.0, 2.0, 2.0), Some(Side::Mid));
        assert_eq!(side(2.0, 2.1, 2.0), None);
        assert_eq!(side(2.0, 0.0, 0.0), None);
        assert_eq!(side(f64::NAN, 1.0, 2.0), None);
        assert_eq!(aggressiveness(1.10, 1.00, 1.10), Some(1.0));
        assert_eq!(aggressiveness(1.20, 1.00, 1.10), Some(1.0));
        assert_eq!(aggressiveness(0.90, 1.00, 1.10), Some(0.0));
        assert!((aggressiveness(1.075, 1.00, 1.10).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(aggressiveness(2.0, 2.0, 2.0), Some(0.5));
        assert_eq!(aggressiveness(2.0, 2.1, 2.0), None);
    }
}
