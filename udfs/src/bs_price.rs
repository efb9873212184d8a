//! `bs_price(spot, strike, t, r, q, sigma, right)`: Black-Scholes-Merton the price.

use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{black_scholes_scalar, Contract};

#[user_doc(
    doc_section(label = "Options"),
    description = "The Black-Scholes-Merton price of a European option with a continuous dividend yield q. t in years, r, q and sigma as decimals (0.05 = 5 %). NULL when an argument is NULL or when spot, strike, t or sigma is not positive (at or after expiry the model has no value). right is 'C' or 'call', 'P' or 'put' in any case; anything else is an error that names it.",
    syntax_example = "bs_price(spot, strike, t, r, q, sigma, right)",
    sql_example = r#"```sql
> SELECT round(bs_price(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'C'), 6) AS call_price,
         round(bs_price(100.0, 105.0, 0.25, 0.05, 0.01, 0.2, 'P'), 6) AS put_price;
+------------+-----------+
| call_price | put_price |
+------------+-----------+
| 2.384907   | 6.330264  |
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
pub struct BsPrice {
    signature: Signature,
}

black_scholes_scalar!(BsPrice, "bs_price", |c: &Contract, sigma| c.price(sigma));

#[cfg(test)]
mod tests {
    use crate::helpers::black_scholes::test_cases::assert_matches_py_vollib;

    #[tokio::test]
    async fn matches_py_vollib_on_its_101_cases() {
        assert_matches_py_vollib("bs_price", "bs_call", "bs_put", 1.0).await;
    }
}
