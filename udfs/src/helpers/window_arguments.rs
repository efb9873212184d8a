//! Arguments shared by the bar window functions that take constant periods after the four
//! prices (`mfi(high, low, close, volume [, n])`, `cmf`, `chaikin_osc`).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::function::PartitionEvaluatorArgs;
use datafusion::logical_expr::{Signature, TypeSignature, Volatility};
use datafusion::physical_expr::expressions::Literal;

/// `(high, low, close, volume)` as Float64, optionally followed by `periods` whole numbers; each
/// entry of `optional_period_counts` is one accepted count of trailing periods.
pub(crate) fn bar_signature_with_periods(optional_period_counts: &[usize]) -> Signature {
    let prices = vec![DataType::Float64; 4];
    let mut variants = vec![TypeSignature::Exact(prices.clone())];
    for &count in optional_period_counts {
        let mut with_periods = prices.clone();
        with_periods.extend(std::iter::repeat_n(DataType::Int64, count));
        variants.push(TypeSignature::Exact(with_periods));
    }
    Signature::one_of(variants, Volatility::Immutable)
}

/// The longest period accepted (TA-Lib's limit too): the evaluators keep that many bars per
/// symbol, and the planner builds one while planning.
pub(crate) const MAX_PERIOD: usize = 100_000;

/// The constant period at argument `index`, or `default` when the call leaves it out. A period
/// must be a literal from 1 to `MAX_PERIOD`.
pub(crate) fn constant_period(
    args: &PartitionEvaluatorArgs,
    index: usize,
    default: usize,
    function: &str,
    name: &str,
) -> Result<usize> {
    match args.input_exprs().get(index) {
        None => Ok(default),
        Some(expr) => match expr.downcast_ref::<Literal>().map(|l| l.value()) {
            Some(ScalarValue::Int64(Some(n))) if (1..=MAX_PERIOD as i64).contains(n) => {
                Ok(*n as usize)
            }
            _ => exec_err!(
                "{function}: {name} must be a constant whole number from 1 to {MAX_PERIOD}"
            ),
        },
    }
}
