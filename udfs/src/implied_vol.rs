//! `implied_vol(price, spot, strike, t, r, q, right)`: the Black-Scholes-Merton volatility that
//! reproduces a price.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{coerce_numbers_then_right, per_contract};

#[user_doc(
    doc_section(label = "Options"),
    description = "The implied volatility: the sigma for which bs_price(spot, strike, t, r, q, sigma, right) \
equals price, as a decimal (0.2 = 20 %). The root is bracketed between 0 and 1,000 % and refined by \
Newton steps that fall back to bisection, so it converges for deep in- and out-of-the-money options and \
short expiries; it is found to a few units in the last place. NULL when an argument is NULL or when no \
volatility fits: a price at or below the discounted intrinsic value, at or above the discounted spot \
(call) or strike (put), beyond 1,000 %, too small for double precision to pin a volatility down, or \
invalid inputs; implied_vol_reason says which.",
    syntax_example = "implied_vol(price, spot, strike, t, r, q, right)",
    sql_example = r#"```sql
> SELECT round(implied_vol(bs_price(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'C'),
                           100.0, 105.0, 0.25, 0.05, 0.01, 'C'), 12) AS sigma,
         implied_vol(0.5, 100.0, 90.0, 0.25, 0.05, 0.0, 'C') AS below_intrinsic;
+-------+-----------------+
| sigma | below_intrinsic |
+-------+-----------------+
| 0.2   |                 |
+-------+-----------------+
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
pub struct ImpliedVol {
    signature: Signature,
}

impl Default for ImpliedVol {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ImpliedVol {
    fn name(&self) -> &str {
        "implied_vol"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_numbers_then_right(self.name(), 6, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = per_contract(
            self.name(),
            args,
            |v| (v[0], [v[1], v[2], v[3], v[4], v[5]]),
            |contract, price| contract.implied_volatility(price).ok(),
        )?;
        Ok(values)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::black_scholes::{Contract, NoFit, Right};

    /// σ recovered to 1e-8 over a grid of moneyness, expiries, volatilities and both rights,
    /// wherever the price still carries σ to that precision (its change for Δσ = 1e-8 is more
    /// than a few ulps of the price, and the price is not vanishingly small); the other cases
    /// are counted.
    #[test]
    fn recovers_sigma_across_moneyness_and_expiries() {
        let (mut recovered, mut uninformative) = (0, 0);
        for right in [Right::Call, Right::Put] {
            for moneyness in [0.3, 0.5, 0.7, 0.9, 0.97, 1.0, 1.03, 1.1, 1.5, 2.0, 3.0] {
                for days in [1.0, 7.0, 30.0, 91.0, 365.0, 1825.0] {
                    for sigma in [0.05, 0.2, 0.5, 1.0, 2.5] {
                        let contract = Contract {
                            spot: 100.0,
                            strike: 100.0 * moneyness,
                            t: days / 365.0,
                            rate: 0.03,
                            dividend_yield: 0.01,
                            right,
                        };
                        let price = contract.price(sigma);
                        // Prices under 1e-10 (a millionth of a cent) are underflow territory
                        // for the normal tails, not quotes.
                        let informative = contract.vega_per_unit(sigma) * 1e-8
                            > 8.0 * f64::EPSILON * price
                            && price > 1e-10;
                        match contract.implied_volatility(price) {
                            Ok(found) if informative => {
                                assert!(
                                    (found - sigma).abs() <= 1e-8,
                                    "{right:?} K/S {moneyness} {days}d σ {sigma}: {found}"
                                );
                                recovered += 1;
                            }
                            Ok(_) => uninformative += 1,
                            Err(reason) => {
                                assert!(
                                    !informative,
                                    "{right:?} K/S {moneyness} {days}d σ {sigma}: {reason:?}"
                                );
                                uninformative += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(recovered + uninformative, 660);
        // 482 of the 660 carry σ to 1e-8; the rest are far from the money with little time left.
        assert!(
            recovered >= 480,
            "{recovered} recovered, {uninformative} not informative"
        );
    }

    #[test]
    fn no_fit_says_why() {
        let call = Contract {
            spot: 100.0,
            strike: 90.0,
            t: 0.25,
            rate: 0.05,
            dividend_yield: 0.0,
            right: Right::Call,
        };
        assert_eq!(call.implied_volatility(5.0), Err(NoFit::BelowIntrinsic));
        assert_eq!(call.implied_volatility(100.0), Err(NoFit::AboveUpperBound));
        assert_eq!(call.implied_volatility(f64::NAN), Err(NoFit::InvalidInput));
        let expired = Contract { t: 0.0, ..call };
        assert_eq!(expired.implied_volatility(12.0), Err(NoFit::InvalidInput));
        // Just under the ceiling: more than any volatility up to 1,000 % gives on a 1-day option.
        let short = Contract {
            t: 1.0 / 365.0,
            ..call
        };
        assert_eq!(
            short.implied_volatility(99.9),
            Err(NoFit::VolatilityTooHigh)
        );
        // A price far below a cent on a 100 underlying: NULL, not some σ whose price is 0.
        let far = Contract {
            strike: 200.0,
            t: 0.1,
            ..call
        };
        match far.implied_volatility(1e-100) {
            Ok(found) => assert!((far.price(found) - 1e-100).abs() <= 1e-110, "{found}"),
            Err(reason) => assert_eq!(reason, NoFit::NoConvergence),
        }
        // Inputs whose model price overflows to NaN.
        let overflowing = Contract {
            t: 1e5,
            rate: -0.01,
            strike: 100.0,
            ..call
        };
        assert!(overflowing.implied_volatility(1.0).is_err());
    }
}
