//! `bs_theta(spot, strike, t, r, q, sigma, right)`: Black-Scholes-Merton theta per day.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{black_scholes_scalar, Contract};

#[user_doc(
    doc_section(label = "Options"),
    description = "Theta per calendar day (the per-year figure divided by 365): the change in the option's price as one day passes, usually negative. t in years, r, q and sigma as decimals (0.05 = 5 %). NULL when an argument is NULL or when spot, strike, t or sigma is not positive (at or after expiry the model has no value). right is 'C' or 'call', 'P' or 'put' in any case; anything else is an error that names it.",
    syntax_example = "bs_theta(spot, strike, t, r, q, sigma, right)",
    sql_example = r#"```sql
> SELECT round(bs_theta(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'C'), 6) AS call_theta,
         round(bs_theta(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'P'), 6) AS put_theta;
+------------+-----------+
| call_theta | put_theta |
+------------+-----------+
| -0.024288  | -0.012816 |
+------------+-----------+
```"#,
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
    argument(name = "sigma", description = "The volatility (0.2 = 20 %)."),
    argument(name = "right", description = "'C' (call) or 'P' (put).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BsTheta {
    signature: Signature,
}

black_scholes_scalar!(BsTheta, "bs_theta", |c: &Contract, sigma| c
    .theta_per_year(sigma)
    / 365.0);

#[cfg(test)]
mod tests {
    use crate::helpers::black_scholes::test_cases::assert_matches_py_vollib;

    #[tokio::test]
    async fn matches_py_vollib_on_its_101_cases() {
        assert_matches_py_vollib("bs_theta", "CT", "PT", 365.0).await;
    }
}
