//! The per-bar scalar functions (`mfm`, `typical_price`): one vectorised pass over the (high, low,
//! close) buffers, NULL where any input is NULL, and the `ScalarUDFImpl` they share.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::buffer::{NullBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

/// Applies `f(high, low, close)` row by row to the three Float64 arguments.
pub(crate) fn per_bar(
    args: ScalarFunctionArgs,
    f: impl Fn(f64, f64, f64) -> f64,
) -> Result<ColumnarValue> {
    let arrays = ColumnarValue::values_to_arrays(&args.args)?;
    let [high, low, close] = [0, 1, 2].map(|i| arrays[i].as_primitive::<Float64Type>());
    let nulls = NullBuffer::union(
        NullBuffer::union(high.nulls(), low.nulls()).as_ref(),
        close.nulls(),
    );
    let values: ScalarBuffer<f64> = (0..high.len())
        .map(|i| f(high.values()[i], low.values()[i], close.values()[i]))
        .collect();
    Ok(ColumnarValue::Array(Arc::new(Float64Array::new(
        values, nulls,
    ))))
}

/// `Default` (three Float64 arguments) and `ScalarUDFImpl` of a per-bar scalar function: only the
/// name, the documentation and `kernel(high, low, close)` differ between them.
macro_rules! per_bar_scalar {
    ($function:ty, $name:literal, $kernel:expr) => {
        impl Default for $function {
            fn default() -> Self {
                Self {
                    signature: datafusion::logical_expr::Signature::exact(
                        vec![datafusion::arrow::datatypes::DataType::Float64; 3],
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                }
            }
        }

        impl datafusion::logical_expr::ScalarUDFImpl for $function {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }

            fn return_type(
                &self,
                _arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
                Ok(datafusion::arrow::datatypes::DataType::Float64)
            }

            fn invoke_with_args(
                &self,
                args: datafusion::logical_expr::ScalarFunctionArgs,
            ) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
                $crate::helpers::bar_kernel::per_bar(args, $kernel)
            }

            fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
                self.doc()
            }
        }
    };
}
pub(crate) use per_bar_scalar;
