//! `parse_osi(symbol)`: an OCC/OSI option symbol's underlying, expiry, right and strike.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Builder, Float64Builder, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

#[user_doc(
    doc_section(label = "Options"),
    description = "Splits an OCC (OSI) option symbol into a struct {underlying, expiry, right, strike}. \
Accepts the 21-character OCC form with the root padded to six characters (`AAPL  240119C00190000`), the \
unpadded form, and Polygon's `O:` prefix (`O:AAPL240119C00190000`): the last 15 characters are the expiry \
(YYMMDD, 20YY), the right (C or P, either case) and the strike × 1000 in 8 digits; the root before them may hold \
digits (adjusted options such as `AAPL1`) and weeklies keep their own root (`SPXW`). NULL for NULL, and \
for a symbol that does not parse (bad date, right or strike, or no root): find those with \
`WHERE symbol IS NOT NULL AND parse_osi(symbol) IS NULL`.",
    syntax_example = "parse_osi(symbol)",
    sql_example = r#"```sql
> SELECT parse_osi('O:AAPL240119C00190000')['strike'] AS strike,
         parse_osi('SPXW  260612P07400000')['expiry'] AS expiry;
+--------+------------+
| strike | expiry     |
+--------+------------+
| 190.0  | 2026-06-12 |
+--------+------------+
```"#,
    argument(name = "symbol", description = "The option symbol.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ParseOsi {
    signature: Signature,
}

impl Default for ParseOsi {
    fn default() -> Self {
        Self {
            signature: Signature::uniform(1, vec![DataType::Utf8], Volatility::Immutable),
        }
    }
}

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("underlying", DataType::Utf8, true),
        Field::new("expiry", DataType::Date32, true),
        Field::new("right", DataType::Utf8, true),
        Field::new("strike", DataType::Float64, true),
    ])
}

/// (root, expiry, right `C` or `P`, strike) of one symbol; the collectors use it too.
pub fn parse(symbol: &str) -> Option<(&str, NaiveDate, &'static str, f64)> {
    let symbol = symbol.trim();
    if !symbol.is_ascii() {
        return None;
    }
    let symbol = match symbol.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("O:") => &symbol[2..],
        _ => symbol,
    };
    if symbol.len() < 16 {
        return None;
    }
    let (root, tail) = symbol.split_at(symbol.len() - 15);
    let root = root.trim_end();
    if root.is_empty() || root.contains(' ') {
        return None;
    }
    // Six digits exactly: chrono alone would accept "2411 9" or a one-digit year.
    let date = &tail[..6];
    if !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<u32>().ok();
    let expiry =
        NaiveDate::from_ymd_opt(2000 + number(0..2)? as i32, number(2..4)?, number(4..6)?)?;
    let right = match &tail[6..7] {
        "C" | "c" => "C",
        "P" | "p" => "P",
        _ => return None,
    };
    let digits = &tail[7..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let strike = digits.parse::<u64>().ok()? as f64 / 1000.0;
    Some((root, expiry, right, strike))
}

impl ScalarUDFImpl for ParseOsi {
    fn name(&self) -> &str {
        "parse_osi"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let symbols = arrays[0].as_string::<i32>();
        let mut underlying = StringBuilder::new();
        let mut expiry = Date32Builder::new();
        let mut right = StringBuilder::new();
        let mut strike = Float64Builder::new();
        let mut valid = Vec::with_capacity(symbols.len());
        for row in 0..symbols.len() {
            let parsed = symbols
                .is_valid(row)
                .then(|| parse(symbols.value(row)))
                .flatten();
            valid.push(parsed.is_some());
            match parsed {
                Some((root, date, side, price)) => {
                    underlying.append_value(root);
                    expiry.append_value(Date32Type::from_naive_date(date));
                    right.append_value(side);
                    strike.append_value(price);
                }
                None => {
                    underlying.append_null();
                    expiry.append_null();
                    right.append_null();
                    strike.append_null();
                }
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(underlying.finish()),
            Arc::new(expiry.finish()),
            Arc::new(right.finish()),
            Arc::new(strike.finish()),
        ];
        let out = StructArray::try_new(fields(), columns, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::parse;

    #[test]
    fn occ_polygon_weekly_and_adjusted_forms() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            parse("AAPL  240119C00190000"),
            Some(("AAPL", date(2024, 1, 19), "C", 190.0))
        );
        assert_eq!(
            parse("O:AAPL240119C00190000"),
            Some(("AAPL", date(2024, 1, 19), "C", 190.0))
        );
        assert_eq!(
            parse("SPXW  260612P07400000"),
            Some(("SPXW", date(2026, 6, 12), "P", 7400.0))
        );
        assert_eq!(
            parse("o:aapl240119c00190000"),
            Some(("aapl", date(2024, 1, 19), "C", 190.0))
        );
        assert_eq!(
            parse("AAPL1 240119P00002500"),
            Some(("AAPL1", date(2024, 1, 19), "P", 2.5))
        );
        for bad in [
            "AAPL  240231C00190000", // February 31st
            "AAPL  240119X00190000", // no such right
            "AAPL  240119C0019000A", // strike not digits
            "240119C00190000",       // no root
            "AAPL 24 0119C00190000", // space inside
            "AAPL  2411 9C00190000", // space in the date
            "AAPL   1 0119C0019000", // one-digit year
            "O:",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
