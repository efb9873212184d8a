//! `aggressiveness(price, bid, ask)`: how far into the spread a trade printed, 0 to 1.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::quote_position::aggressiveness;

#[user_doc(
    doc_section(label = "Options"),
    description = "How aggressively a trade took liquidity: (price − bid) / (ask − bid), clamped to [0, 1], so 1 \
is at or through the ask (a buyer paying up), 0 at or through the bid (a seller) and 0.5 the midpoint. \
In a locked market (bid = ask) a print at the quote scores 0.5. NULL when an argument is NULL or the \
quote cannot be read (bid above ask, ask not positive, bid negative).",
    syntax_example = "aggressiveness(price, bid, ask)",
    sql_example = r#"```sql
> SELECT round(aggressiveness(1.075, 1.00, 1.10), 4) AS score,
         aggressiveness(1.20, 1.00, 1.10) AS through_ask;
+-------+-------------+
| score | through_ask |
+-------+-------------+
| 0.75  | 1.0         |
+-------+-------------+
```"#,
    argument(name = "price", description = "The trade's price."),
    argument(name = "bid", description = "The best bid at trade time."),
    argument(name = "ask", description = "The best ask at trade time.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Aggressiveness {
    signature: Signature,
}

impl Default for Aggressiveness {
    fn default() -> Self {
        Self {
            signature: Signature::uniform(3, vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Aggressiveness {
    fn name(&self) -> &str {
        "aggressiveness"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [price, bid, ask] = [0, 1, 2].map(|i| arrays[i].as_primitive::<Float64Type>());
        let scores: Float64Array = (0..price.len())
            .map(|row| {
                let valid = price.is_valid(row) && bid.is_valid(row) && ask.is_valid(row);
                valid
                    .then(|| aggressiveness(price.value(row), bid.value(row), ask.value(row)))
                    .flatten()
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(scores)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
