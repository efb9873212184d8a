//! Black-Scholes-Merton with a continuous dividend yield: the formulas, and the `ScalarUDFImpl`
//! shared by `bs_price` and the Greeks.
//!
//! Units: t in years, r, q and sigma as decimals (0.05 = 5 %). The functions return theta per
//! calendar day (the per-year figure / 365), vega per volatility point and rho per rate point (the
//! per-1.00 figures / 100), as brokers and CBOE quote them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

/// A call or a put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Right {
    Call,
    Put,
}

impl Right {
    /// `C`, `call`, `P` or `put`, in any case.
    pub(crate) fn parse(function: &str, text: &str) -> Result<Right> {
        match text.trim().to_ascii_lowercase().as_str() {
            "c" | "call" => Ok(Right::Call),
            "p" | "put" => Ok(Right::Put),
            _ => exec_err!("{function}: right must be 'C' or 'call', 'P' or 'put', not {text:?}"),
        }
    }
}

/// One option's inputs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contract {
    pub spot: f64,
    pub strike: f64,
    /// Years to expiry.
    pub t: f64,
    pub rate: f64,
    pub dividend_yield: f64,
    pub right: Right,
}

/// The standard normal distribution function, from `erfc` (full double precision in both tails).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// What every formula needs: d1, d2, the discount factors and √t.
struct Terms {
    d1: f64,
    d2: f64,
    dividend_discount: f64,
    rate_discount: f64,
    root_t: f64,
}

impl Contract {
    /// Inputs a formula can use: positive spot, strike, time and volatility, finite rates.
    pub(crate) fn is_valid(&self, sigma: f64) -> bool {
        self.spot > 0.0
            && self.strike > 0.0
            && self.t > 0.0
            && sigma > 0.0
            && self.rate.is_finite()
            && self.dividend_yield.is_finite()
            && [self.spot, self.strike, self.t, sigma]
                .iter()
                .all(|v| v.is_finite())
    }

    fn terms(&self, sigma: f64) -> Terms {
        let root_t = self.t.sqrt();
        let d1 = ((self.spot / self.strike).ln()
            + (self.rate - self.dividend_yield + 0.5 * sigma * sigma) * self.t)
            / (sigma * root_t);
        Terms {
            d1,
            d2: d1 - sigma * root_t,
            dividend_discount: (-self.dividend_yield * self.t).exp(),
            rate_discount: (-self.rate * self.t).exp(),
            root_t,
        }
    }

    pub(crate) fn price(&self, sigma: f64) -> f64 {
        let Terms {
            d1,
            d2,
            dividend_discount,
            rate_discount,
            ..
        } = self.terms(sigma);
        let (s, k) = (self.spot * dividend_discount, self.strike * rate_discount);
        match self.right {
            Right::Call => s * normal_cdf(d1) - k * normal_cdf(d2),
            Right::Put => k * normal_cdf(-d2) - s * normal_cdf(-d1),
        }
    }

    pub(crate) fn delta(&self, sigma: f64) -> f64 {
        let terms = self.terms(sigma);
        match self.right {
            Right::Call => terms.dividend_discount * normal_cdf(terms.d1),
            Right::Put => -terms.dividend_discount * normal_cdf(-terms.d1),
        }
    }

    pub(crate) fn gamma(&self, sigma: f64) -> f64 {
        let terms = self.terms(sigma);
        terms.dividend_discount * normal_pdf(terms.d1) / (self.spot * sigma * terms.root_t)
    }

    /// Per 1.00 of volatility.
    pub(crate) fn vega_per_unit(&self, sigma: f64) -> f64 {
        let terms = self.terms(sigma);
        self.spot * terms.dividend_discount * normal_pdf(terms.d1) * terms.root_t
    }

    /// Per year.
    pub(crate) fn theta_per_year(&self, sigma: f64) -> f64 {
        let Terms {
            d1,
            d2,
            dividend_discount,
            rate_discount,
            root_t,
        } = self.terms(sigma);
        let decay = -self.spot * dividend_discount * normal_pdf(d1) * sigma / (2.0 * root_t);
        let (s, k) = (self.spot * dividend_discount, self.strike * rate_discount);
        match self.right {
            Right::Call => {
                decay - self.rate * k * normal_cdf(d2) + self.dividend_yield * s * normal_cdf(d1)
            }
            Right::Put => {
                decay + self.rate * k * normal_cdf(-d2) - self.dividend_yield * s * normal_cdf(-d1)
            }
        }
    }

    /// Per 1.00 of rate.
    pub(crate) fn rho_per_unit(&self, sigma: f64) -> f64 {
        let terms = self.terms(sigma);
        let k = self.strike * self.t * terms.rate_discount;
        match self.right {
            Right::Call => k * normal_cdf(terms.d2),
            Right::Put => -k * normal_cdf(-terms.d2),
        }
    }
}

/// Why no volatility reproduces a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoFit {
    /// Spot, strike or time not positive, or a number not finite.
    InvalidInput,
    /// At or below the no-arbitrage floor (the discounted intrinsic value): no time value left.
    BelowIntrinsic,
    /// At or above the ceiling: the discounted spot for a call, the discounted strike for a put.
    AboveUpperBound,
    /// Above what a volatility of 1,000 % gives.
    VolatilityTooHigh,
    /// The solver did not pin σ down (a price too small for double precision to carry σ).
    NoConvergence,
}

impl NoFit {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            NoFit::InvalidInput => "invalid input: spot, strike and t must be positive and every number finite",
            NoFit::BelowIntrinsic => "price at or below the discounted intrinsic value: no time value to fit",
            NoFit::AboveUpperBound => {
                "price at or above the upper bound (discounted spot for a call, discounted strike for a put)"
            }
            NoFit::VolatilityTooHigh => "no volatility up to 1000 % (10.0) reaches the price",
            NoFit::NoConvergence => "no volatility pinned down: the price is too small to carry one",
        }
    }
}

/// The highest volatility searched (1,000 %).
const MAX_VOLATILITY: f64 = 10.0;

impl Contract {
    /// The volatility whose price is `price`: a root bracketed between the no-arbitrage bounds and
    /// refined by Newton steps that fall back to bisection whenever they would leave the bracket,
    /// so it converges for deep in- or out-of-the-money options and short expiries where vega is
    /// tiny. Stops when the bracket is a few ulps wide.
    pub(crate) fn implied_volatility(&self, price: f64) -> Result<f64, NoFit> {
        if !(self.is_valid(1.0) && price.is_finite()) {
            return Err(NoFit::InvalidInput);
        }
        let spot = self.spot * (-self.dividend_yield * self.t).exp();
        let strike = self.strike * (-self.rate * self.t).exp();
        let (floor, ceiling) = match self.right {
            Right::Call => ((spot - strike).max(0.0), spot),
            Right::Put => ((strike - spot).max(0.0), strike),
        };
        if price <= floor {
            return Err(NoFit::BelowIntrinsic);
        }
        if price >= ceiling {
            return Err(NoFit::AboveUpperBound);
        }
        // A NaN price (overflowing inputs) compares as None and is refused too.
        if !matches!(
            self.price(MAX_VOLATILITY).partial_cmp(&price),
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        ) {
            return Err(NoFit::VolatilityTooHigh);
        }
        // The price rises with volatility: keep low below the root and high above it.
        let (mut low, mut high) = (0.0_f64, MAX_VOLATILITY);
        let mut sigma = 0.5_f64.min(high);
        let mut width_before = f64::INFINITY;
        for _ in 0..200 {
            let difference = self.price(sigma) - price;
            if difference == 0.0 {
                return Ok(sigma);
            }
            if difference < 0.0 {
                low = sigma;
            } else {
                high = sigma;
            }
            if high - low <= 4.0 * f64::EPSILON * high {
                break;
            }
            let vega = self.vega_per_unit(sigma);
            let newton = sigma - difference / vega;
            if vega > 0.0 && (newton - sigma).abs() <= 2.0 * f64::EPSILON * sigma {
                return Ok(newton);
            }
            // Newton while it stays in the bracket and the bracket at least halves every step;
            // otherwise bisect (Newton creeps on the convex side of a far out-of-the-money price).
            let width = high - low;
            let newton_helps =
                vega > 0.0 && newton > low && newton < high && width <= 0.5 * width_before;
            width_before = width;
            sigma = if newton_helps {
                newton
            } else {
                0.5 * (low + high)
            };
        }
        if high - low <= 1e-12 * high {
            Ok(0.5 * (low + high))
        } else {
            Err(NoFit::NoConvergence)
        }
    }
}

/// Numbers become Float64 and the right a string, for a function of `numbers` numeric arguments
/// followed by the right.
pub(crate) fn coerce_numbers_then_right(
    function: &str,
    numbers: usize,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    let numeric = |t: &DataType| t.is_numeric() || t.is_null();
    let string = |t: &DataType| {
        matches!(
            t,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
        )
    };
    if arg_types.len() == numbers + 1
        && arg_types[..numbers].iter().all(numeric)
        && string(&arg_types[numbers])
    {
        let mut types = vec![DataType::Float64; numbers];
        types.push(DataType::Utf8);
        Ok(types)
    } else {
        plan_err!(
            "{function} takes {numbers} numbers and the right ('C' or 'P'), not {arg_types:?}"
        )
    }
}

/// Applies `f(contract, x)` to every row of `(a, b, c, d, e, f, right)` where the six numbers are
/// `(x, spot, strike, t, r, q)` in the order `layout` gives: NULL where an argument is NULL or `f`
/// returns None.
pub(crate) fn per_contract(
    function: &str,
    args: ScalarFunctionArgs,
    layout: impl Fn(&[f64; 6]) -> (f64, [f64; 5]),
    f: impl Fn(&Contract, f64) -> Option<f64>,
) -> Result<ColumnarValue> {
    let values = per_contract_values(function, args, layout, f)?;
    Ok(ColumnarValue::Array(Arc::new(Float64Array::from(values))))
}

/// `per_contract` for any result type: one value (or NULL) per row.
pub(crate) fn per_contract_values<T>(
    function: &str,
    args: ScalarFunctionArgs,
    layout: impl Fn(&[f64; 6]) -> (f64, [f64; 5]),
    f: impl Fn(&Contract, f64) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    let arrays: Vec<ArrayRef> = ColumnarValue::values_to_arrays(&args.args)?;
    let numbers: Vec<&Float64Array> = arrays[..6]
        .iter()
        .map(|a| a.as_primitive::<Float64Type>())
        .collect();
    let rights = arrays[6].as_string::<i32>();
    let mut out = Vec::with_capacity(rights.len());
    // The right is usually one literal or a column of a few values: parse each distinct text once.
    let mut last_right: Option<(String, Right)> = None;
    for row in 0..rights.len() {
        if rights.is_null(row) || numbers.iter().any(|n| n.is_null(row)) {
            out.push(None);
            continue;
        }
        let text = rights.value(row);
        let right = match &last_right {
            Some((seen, right)) if seen == text => *right,
            _ => {
                let right = Right::parse(function, text)?;
                last_right = Some((text.to_string(), right));
                right
            }
        };
        let values: [f64; 6] = std::array::from_fn(|i| numbers[i].value(row));
        let (x, [spot, strike, t, rate, dividend_yield]) = layout(&values);
        let contract = Contract {
            spot,
            strike,
            t,
            rate,
            dividend_yield,
            right,
        };
        out.push(f(&contract, x));
    }
    Ok(out)
}

/// `Default` and `ScalarUDFImpl` of a Black-Scholes function of `(spot, strike, t, r, q, sigma,
/// right)`: `formula(contract, sigma)` gives the value for valid inputs, NULL otherwise.
macro_rules! black_scholes_scalar {
    ($function:ty, $name:literal, $formula:expr) => {
        impl Default for $function {
            fn default() -> Self {
                Self {
                    signature: datafusion::logical_expr::Signature::user_defined(
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

            fn coerce_types(
                &self,
                arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
                $crate::helpers::black_scholes::coerce_numbers_then_right($name, 6, arg_types)
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
                $crate::helpers::black_scholes::per_contract(
                    $name,
                    args,
                    |v| (v[5], [v[0], v[1], v[2], v[3], v[4]]),
                    |contract, sigma| {
                        contract
                            .is_valid(sigma)
                            .then(|| ($formula)(contract, sigma))
                    },
                )
            }

            fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
                self.doc()
            }
        }
    };
}
pub(crate) use black_scholes_scalar;

#[cfg(test)]
pub(crate) mod test_cases {
    /// py_vollib's 101 benchmark cases (tests/fixtures/options/py_vollib_test_data.csv): each row
    /// by column name.
    pub fn py_vollib() -> Vec<std::collections::HashMap<String, f64>> {
        let path =
            crate::helpers::test_support::fixtures_dir().join("options/py_vollib_test_data.csv");
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        lines
            .map(|line| {
                header
                    .iter()
                    .zip(line.split(','))
                    .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
                    .collect()
            })
            .collect()
    }

    /// Checks `function` on every case, calls against `call_column` and puts against
    /// `put_column`, to 1e-6 as the issue asks, after multiplying by `scale` (py_vollib gives
    /// theta per year and vega and rho per 1.00).
    pub async fn assert_matches_py_vollib(
        function: &str,
        call_column: &str,
        put_column: &str,
        scale: f64,
    ) {
        let cases = py_vollib();
        for (right, column) in [("C", call_column), ("P", put_column)] {
            let got = over_cases(function, right).await;
            assert_eq!(got.len(), 101);
            for (case, ours) in cases.iter().zip(got) {
                let ours = ours.expect("a value") * scale;
                let expected = case[column];
                assert!(
                    (ours - expected).abs() <= 1e-6,
                    "{function} {right} S={} K={}: {ours} against {expected}",
                    case["S"],
                    case["K"]
                );
            }
        }
    }

    /// `function(S, K, t, R, 0, v, right)` for every case, as SQL over a VALUES list.
    pub async fn over_cases(function: &str, right: &str) -> Vec<Option<f64>> {
        let cases = py_vollib();
        let rows: Vec<String> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "({i}, {}, {}, {}, {}, {})",
                    c["S"], c["K"], c["t"], c["R"], c["v"]
                )
            })
            .collect();
        crate::helpers::test_support::query_f64(
            "g, s, k, t, r, v",
            &rows.join(", "),
            &format!("SELECT {function}(s, k, t, r, 0.0, v, '{right}') FROM v ORDER BY g"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{Contract, Right};

    /// With a dividend yield (py_vollib's cases have none): put-call parity, and every Greek
    /// against a central difference of the price.
    #[test]
    fn dividend_yield_greeks_are_the_derivatives_of_the_price() {
        for (spot, strike, t, rate, dividend_yield, sigma) in [
            (100.0, 105.0, 0.25, 0.05, 0.03, 0.2),
            (250.0, 200.0, 1.5, 0.02, 0.06, 0.45),
            (40.0, 41.0, 0.02, 0.04, 0.01, 0.8),
        ] {
            let option = |right, spot, t, rate| Contract {
                spot,
                strike,
                t,
                rate,
                dividend_yield,
                right,
            };
            let call = option(Right::Call, spot, t, rate);
            let put = option(Right::Put, spot, t, rate);
            let parity = spot * (-dividend_yield * t).exp() - strike * (-rate * t).exp();
            assert!((call.price(sigma) - put.price(sigma) - parity).abs() < 1e-10);
            assert!(
                (call.delta(sigma) - put.delta(sigma) - (-dividend_yield * t).exp()).abs() < 1e-12
            );
            for right in [Right::Call, Right::Put] {
                let at = option(right, spot, t, rate);
                let h = 1e-4;
                let price = |spot: f64, t: f64, rate: f64, sigma: f64| {
                    option(right, spot, t, rate).price(sigma)
                };
                let delta =
                    (price(spot + h, t, rate, sigma) - price(spot - h, t, rate, sigma)) / (2.0 * h);
                let gamma = (price(spot + h, t, rate, sigma) - 2.0 * price(spot, t, rate, sigma)
                    + price(spot - h, t, rate, sigma))
                    / (h * h);
                let theta = -(price(spot, t + 1e-6, rate, sigma)
                    - price(spot, t - 1e-6, rate, sigma))
                    / 2e-6;
                let vega =
                    (price(spot, t, rate, sigma + h) - price(spot, t, rate, sigma - h)) / (2.0 * h);
                let rho =
                    (price(spot, t, rate + h, sigma) - price(spot, t, rate - h, sigma)) / (2.0 * h);
                let close =
                    |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance * b.abs().max(1.0);
                assert!(close(at.delta(sigma), delta, 1e-7), "{right:?} delta");
                assert!(close(at.gamma(sigma), gamma, 1e-4), "{right:?} gamma");
                assert!(
                    close(at.theta_per_year(sigma), theta, 1e-5),
                    "{right:?} theta"
                );
                assert!(close(at.vega_per_unit(sigma), vega, 1e-7), "{right:?} vega");
                assert!(close(at.rho_per_unit(sigma), rho, 1e-7), "{right:?} rho");
            }
        }
    }
}
