//! `bs_rho(spot, strike, t, r, q, sigma, right)`: Black-Scholes-Merton rho per rate point.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{black_scholes_scalar, Contract};

#[user_doc(
    doc_section(label = "Options"),
    description = "Rho per rate point: the change in the option's price when r rises by 0.01, K·t·e^(−rt)·N(d2) / 100 for a call, −K·t·e^(−rt)·N(−d2) / 100 for a put. t in years, r, q and sigma as decimals (0.05 = 5 %). NULL when an argument is NULL or when spot, strike, t or sigma is not positive (at or after expiry the model has no value). right is 'C' or 'call', 'P' or 'put' in any case; anything else is an error that names it.",
    syntax_example = "bs_rho(spot, strike, t, r, q, sigma, right)",
    sql_example = r#"```sql
> SELECT round(bs_rho(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'C'), 6) AS call_rho,
         round(bs_rho(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'P'), 6) AS put_rho;
+----------+-----------+
| call_rho | put_rho   |
+----------+-----------+
| 0.085738 | -0.173501 |
+----------+-----------+
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
pub struct BsRho {
    signature: Signature,
}

black_scholes_scalar!(BsRho, "bs_rho", |c: &Contract, sigma| c.rho_per_unit(sigma)
    / 100.0);

#[cfg(test)]
mod tests {
    use crate::helpers::black_scholes::test_cases::assert_matches_py_vollib;

    #[tokio::test]
    async fn matches_py_vollib_on_its_101_cases() {
        assert_matches_py_vollib("bs_rho", "CR", "PR", 100.0).await;
    }
}
