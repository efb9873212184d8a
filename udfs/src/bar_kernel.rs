//! The vectorised kernel behind the per-bar scalar functions (`mfm`, `typical_price`): one pass
//! over the (high, low, close) buffers, NULL where any input is NULL.

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
