//! `implied_vol_reason(price, spot, strike, t, r, q, right)`: why `implied_vol` is NULL.

use std::sync::Arc;

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{coerce_numbers_then_right, per_contract_values};

#[user_doc(
    doc_section(label = "Options"),
    description = "Why no volatility reproduces the price, for the rows where implied_vol is NULL: the price is at \
or below the discounted intrinsic value, at or above the upper bound (discounted spot for a call, \
discounted strike for a put), needs more than 1,000 %, is too small for double precision to pin a \
volatility down, or the inputs are invalid (spot, strike or t not \
positive, a number not finite). NULL when a volatility fits, or when an argument is NULL.",
    syntax_example = "implied_vol_reason(price, spot, strike, t, r, q, right)",
    sql_example = r#"```sql
> SELECT implied_vol_reason(0.5, 100.0, 90.0, 0.25, 0.05, 0.0, 'C') AS reason;
+------------------------------------------------------------------------+
| reason                                                                 |
+------------------------------------------------------------------------+
| price at or below the discounted intrinsic value: no time value to fit |
+------------------------------------------------------------------------+
```"#,
    argument(name = "price", description = "The option's price."),
    argument(name = "spot", description = "The underlying's price."),
    argument(name = "strike", description = "The strike."),
    argument(name = "t", description = "Years to expiry (days / 365)."),
    argument(
        name = "r",
        description = "The risk-free rate, continuously compounded (0.05 = 5 %)."
    ),
    argument(
        name = "q",
        description = "The dividend yield, continuous (0 for none)."
    ),
    argument(name = "right", description = "'C' (call) or 'P' (put).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ImpliedVolReason {
    signature: Signature,
}

impl Default for ImpliedVolReason {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ImpliedVolReason {
    fn name(&self) -> &str {
        "implied_vol_reason"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_numbers_then_right(self.name(), 6, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let reasons = per_contract_values(
            self.name(),
            args,
            |v| (v[0], [v[1], v[2], v[3], v[4], v[5]]),
            |contract, price| contract.implied_volatility(price).err().map(|e| e.reason()),
        )?;
        Ok(ColumnarValue::Array(Arc::new(StringArray::from(reasons))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
