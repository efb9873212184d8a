//! `option_sentiment(right, side)`: what an options trade says about the underlying.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::Right;
use crate::helpers::quote_position::Side;

#[user_doc(
    doc_section(label = "Options"),
    description = "The direction an options trade bets on, from its right and its side (trade_side): calls \
bought (at or above the ask, or nearer the ask) and puts sold (at or below the bid, or nearer the bid) \
are 'bullish'; puts bought and calls sold are 'bearish'; a print at the midpoint is 'neutral'. NULL when \
an argument is NULL; a right other than C/call/P/put or a side other than trade_side's five is an error \
that names it.",
    syntax_example = "option_sentiment(right, side)",
    sql_example = r#"```sql
> SELECT option_sentiment('C', trade_side(1.10, 1.00, 1.10)) AS calls_at_ask,
         option_sentiment('P', 'below_bid') AS puts_dumped, option_sentiment('P', 'mid') AS puts_mid;
+--------------+-------------+----------+
| calls_at_ask | puts_dumped | puts_mid |
+--------------+-------------+----------+
| bullish      | bullish     | neutral  |
+--------------+-------------+----------+
```"#,
    argument(name = "right", description = "'C' (call) or 'P' (put)."),
    argument(
        name = "side",
        description = "The trade's side: below_bid, bid, mid, ask or above_ask (trade_side's result)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct OptionSentiment {
    signature: Signature,
}

impl Default for OptionSentiment {
    fn default() -> Self {
        Self {
            signature: Signature::uniform(2, vec![DataType::Utf8], Volatility::Immutable),
        }
    }
}

/// Bullish when the buyer of a call or the seller of a put is the aggressor.
pub(crate) fn sentiment(right: Right, side: Side) -> &'static str {
    match (right, side) {
        (_, Side::Mid) => "neutral",
        (Right::Call, Side::Ask | Side::AboveAsk) | (Right::Put, Side::Bid | Side::BelowBid) => {
            "bullish"
        }
        _ => "bearish",
    }
}

impl ScalarUDFImpl for OptionSentiment {
    fn name(&self) -> &str {
        "option_sentiment"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (rights, sides) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
        let mut out = Vec::with_capacity(rights.len());
        for row in 0..rights.len() {
            if rights.is_null(row) || sides.is_null(row) {
                out.push(None);
                continue;
            }
            let right = Right::parse(self.name(), rights.value(row))?;
            let Some(side) = Side::parse(sides.value(row)) else {
                return exec_err!(
                    "option_sentiment: side must be below_bid, bid, mid, ask or above_ask, not {:?}",
                    sides.value(row)
                );
            };
            out.push(Some(sentiment(right, side)));
        }
        Ok(ColumnarValue::Array(Arc::new(StringArray::from(out))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::sentiment;
    use crate::helpers::black_scholes::Right;
    use crate::helpers::quote_position::Side;

    #[test]
    fn every_right_and_side() {
        use Side::*;
        let table = [
            (Right::Call, [BelowBid, Bid], "bearish"),
            (Right::Call, [Ask, AboveAsk], "bullish"),
            (Right::Put, [BelowBid, Bid], "bullish"),
            (Right::Put, [Ask, AboveAsk], "bearish"),
            (Right::Call, [Mid, Mid], "neutral"),
            (Right::Put, [Mid, Mid], "neutral"),
        ];
        for (right, sides, expected) in table {
            for side in sides {
                assert_eq!(sentiment(right, side), expected, "{right:?} {side:?}");
            }
        }
    }
}
