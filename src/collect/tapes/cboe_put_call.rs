//! CBOE's daily put/call history files (`totalpc.csv`, `equitypc.csv`, `indexpc.csv`,
//! `vixpc.csv`, `etppc.csv`), in both layouts seen in the wild: CBOE's own, with a disclaimer
//! line and a `, PRODUCT: EQUITY,,EXCHANGE: CBOE,` line before the `DATE,CALL,PUT,TOTAL,P/C Ratio`
//! header, and copies with those lines removed (`DATE,CALLS,PUTS,TOTAL,Ratio`). Lines may end in
//! CRLF or LF within one file, and later rows have spaces after the commas.
//!
//! A row lands when its date parses, its three volumes are whole numbers, TOTAL = CALL + PUT and
//! the published ratio is PUT / CALL to its two decimals; any other row is refused and kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};

use crate::collect::fields::days_since_epoch;
use crate::collect::tabular;
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::PUT_CALL_CBOE;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

/// One day of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct PutCallDay {
    pub date: NaiveDate,
    pub calls: i64,
    pub puts: i64,
    pub total: i64,
    pub ratio: Option<f64>,
    pub line: u64,
}

/// The product a file's `PRODUCT:` line names.
fn product_line(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|line| {
        let at = line.to_ascii_uppercase().find("PRODUCT:")?;
        let rest = &line[at + "PRODUCT:".len()..];
        let product = rest.split(',').next().unwrap_or_default().trim();
        (!product.is_empty()).then(|| product.to_ascii_uppercase())
    })
}

/// The product CBOE's file name says (`totalpc.csv`, `equitypc.csv`, …).
fn product_of_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    [
        ("totalpc", "TOTAL"),
        ("equitypc", "EQUITY"),
        ("indexpc", "INDEX"),
        ("vixpc", "VIX"),
        ("etppc", "ETP"),
    ]
    .iter()
    .find(|(stem, _)| name.starts_with(stem))
    .map(|(_, product)| product.to_string())
}

/// Reads one file into its product's days and the refused rows.
pub fn parse(
    path: &Path,
    source: &str,
    bytes: &[u8],
    product: Option<&str>,
) -> Result<(String, Vec<PutCallDay>, Vec<Rejected>)> {
    let text = String::from_utf8_lossy(bytes);
    // A byte-order mark (Excel's) would hide a first line's `PRODUCT:` or `DATE`.
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let fields_of = |line: &str| -> Vec<String> {
        line.split(',')
            .map(|f| f.trim().trim_matches('"').trim().to_string())
            .collect()
    };
    let Some(header_at) = lines.iter().position(|line| {
        let first = fields_of(line).into_iter().next().unwrap_or_default();
        first.eq_ignore_ascii_case("DATE") || first.eq_ignore_ascii_case("TRADE_DATE")
    }) else {
        return Err(Error::format(
            source,
            None,
            None,
            "no DATE,CALL,PUT,TOTAL,P/C Ratio header line: not a CBOE put/call history file",
        ));
    };
    let header: Vec<String> = fields_of(lines[header_at])
        .into_iter()
        .map(|h| h.to_ascii_uppercase())
        .collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(calls_at), Some(puts_at), Some(total_at)) = (
        column(&["CALL", "CALLS", "CALL VOLUME"]),
        column(&["PUT", "PUTS", "PUT VOLUME"]),
        column(&["TOTAL", "TOTAL VOLUME"]),
    ) else {
        return Err(Error::format(
            source,
            Some(header_at as u64 + 1),
            None,
            format!("header {header:?} lacks CALL, PUT or TOTAL"),
        ));
    };
    let ratio_at = column(&["P/C RATIO", "RATIO", "PUT/CALL RATIO", "P/C"]);
    // The file's own PRODUCT: line wins; --product and the file name only fill in for its absence.
    let given = product.map(str::to_ascii_uppercase);
    let product = match (product_line(&lines[..header_at]), given) {
        (Some(line), Some(given)) if line != given => {
            return Err(Error::format(
                source,
                None,
                None,
                format!(
                "the file says PRODUCT: {line}, not --product {given}: leave --product out for it"
            ),
            ))
        }
        (Some(line), _) => Some(line),
        (None, Some(given)) => Some(given),
        (None, None) => product_of_name(path),
    };
    let product = match product {
        // The product names the dataset's file: only a plain name may (no `../`, `/`, NUL).
        Some(product)
            if product.is_empty()
                || product.len() > 32
                || !product
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            return Err(Error::format(
                source,
                None,
                Some("PRODUCT"),
                format!(
                    "product {product:?} is not a product name (letters, digits, _ and -, at \
                     most 32)"
                ),
            ))
        }
        Some(product) => product,
        None => {
            return Err(Error::format(
                source,
                None,
                None,
                "cannot tell the product (no PRODUCT: line and not a CBOE file name): pass --product TOTAL, EQUITY, INDEX, VIX or ETP",
            ))
        }
    };

    let mut days = Vec::new();
    let mut rejected = Vec::new();
    let mut first_line_of: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (index, raw) in lines.iter().enumerate().skip(header_at + 1) {
        if raw.trim().trim_matches(',').is_empty() {
            continue;
        }
        let line = index as u64 + 1;
        let fields = fields_of(raw);
        let reject = |field: Option<&str>, reason: String| Rejected {
            source: source.to_string(),
            line: Some(line),
            field: field.map(str::to_string),
            raw: Some(raw.to_string()),
            reason,
        };
        let day = (|| -> Result<PutCallDay, Rejected> {
            if raw.len() > tabular::MAX_RECORD_BYTES {
                return Err(Rejected {
                    raw: Some(tabular::raw_text(raw.as_bytes())),
                    ..reject(
                        None,
                        format!(
                            "a line of {} bytes: more than the {} KiB a record may have",
                            raw.len(),
                            tabular::MAX_RECORD_BYTES >> 10
                        ),
                    )
                });
            }
            if let Some(at) = fields.iter().position(|f| f.contains('\0')) {
                let name = header.get(at).map(String::as_str);
                return Err(reject(name, "a NUL byte in the field".to_string()));
            }
            if fields.len() < header.len() {
                return Err(reject(
                    None,
                    format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        header.len()
                    ),
                ));
            }
            let date = ["%m/%d/%Y", "%Y-%m-%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(&fields[0], f).ok())
                .ok_or_else(|| format!("{:?} is not a date", fields[0]))
                .and_then(|date| crate::collect::fields::check_year(date, &fields[0]))
                .map_err(|reason| reject(Some(&header[0]), reason))?;
            let volume = |at: usize| -> Result<i64, Rejected> {
                fields[at]
                    .parse::<i64>()
                    .ok()
                    // Bounded, so that CALL + PUT cannot overflow.
                    .filter(|v| *v >= 0 && *v as f64 <= crate::collect::fields::MAX_COUNT)
                    .ok_or_else(|| {
                        reject(
                            Some(&header[at]),
                            format!(
                                "{:?} is not a volume (0 to {:e} contracts)",
                                fields[at],
                                crate::collect::fields::MAX_COUNT
                            ),
                        )
                    })
            };
            let (calls, puts, total) = (volume(calls_at)?, volume(puts_at)?, volume(total_at)?);
            if calls + puts != total {
                return Err(reject(
                    Some(&header[total_at]),
                    format!("TOTAL {total} is not CALL {calls} + PUT {puts}"),
                ));
            }
            let ratio = match ratio_at.map(|at| (at, fields[at].as_str())) {
                None | Some((_, "")) => None,
                Some((at, text)) => {
                    let ratio: f64 = text
                        .parse()
                        .ok()
                        .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                        .ok_or_else(|| {
                            reject(Some(&header[at]), format!("{text:?} is not a ratio"))
                        })?;
                    // CBOE rounds PUT / CALL to two decimals.
                    if calls > 0 && (ratio - puts as f64 / calls as f64).abs() > 0.005 + 1e-9 {
                        return Err(reject(
                            Some(&header[at]),
                            format!(
                                "ratio {ratio} is not PUT {puts} / CALL {calls} to two decimals"
                            ),
                        ));
                    }
                    Some(ratio)
                }
            };
            Ok(PutCallDay {
                date,
                calls,
                puts,
                total,
                ratio,
                line,
            })
        })();
        match day {
            Ok(day) => match first_line_of.get(&day.date) {
                Some(first) => rejected.push(reject(
                    None,
                    format!("second row for {} (the first is line {first})", day.date),
                )),
                None => {
                    first_line_of.insert(day.date, line);
                    days.push(day);
                }
            },
            Err(refused) => rejected.push(refused),
        }
    }
    Ok((product, days, rejected))
}

pub fn ingest_files(lake: &Lake, paths: &[PathBuf], product: Option<&str>) -> Result<IngestReport> {
    ingest_local_files(
        lake,
        &PUT_CALL_CBOE,
        paths,
        |path, source, bytes, refused| {
            let (product, days, rejected) = parse(path, source, &bytes, product)?;
            refused.extend(rejected);
            let n = days.len();
            let now = Utc::now();
            let batch = BatchBuilder::new(&PUT_CALL_CBOE, n)
                .column(
                    "date",
                    Date32Array::from_iter_values(days.iter().map(|d| days_since_epoch(d.date))),
                )?
                .column("product", StringArray::from(vec![product.as_str(); n]))?
                .column(
                    "calls",
                    Int64Array::from_iter_values(days.iter().map(|d| d.calls)),
                )?
                .column(
                    "puts",
                    Int64Array::from_iter_values(days.iter().map(|d| d.puts)),
                )?
                .column(
                    "total",
                    Int64Array::from_iter_values(days.iter().map(|d| d.total)),
                )?
                .column(
                    "put_call_ratio",
                    Float64Array::from_iter(days.iter().map(|d| d.ratio)),
                )?
                .provenance(source, days.iter().map(|d| d.line), now)?
                .finish()?;
            // One file per product: a newer history of the product replaces its days, keeps the rest.
            let mut transaction = Transaction::new(lake);
            transaction.upsert(&PUT_CALL_CBOE, None, &product.to_ascii_lowercase(), batch)?;
            transaction.commit()?;
            Ok(n as u64)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_with_mixed_line_endings_and_spaces() {
        let cboe = "CBOE Volume and Put/Call Ratio data is compiled for the convenience of site visitors, \"as is\"\n\
, PRODUCT: EQUITY,,EXCHANGE: CBOE,\n\
DATE,CALL,PUT,TOTAL,P/C Ratio\n\
11/1/2006,976510,623929,1600439,0.64\r\n\
11/2/2006, 1032775, 628187, 1660962, 0.61\n";
        let (product, days, rejected) =
            parse(Path::new("x.csv"), "x.csv", cboe.as_bytes(), None).unwrap();
        assert_eq!(product, "EQUITY");
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(days.len(), 2);
        assert_eq!(
            (days[1].calls, days[1].puts, days[1].total, days[1].ratio),
            (1032775, 628187, 1660962, Some(0.61))
        );
        assert_eq!(days[1].line, 5);

        let copy = "DATE,CALLS,PUTS,TOTAL,Ratio\r\n10/02/2019, 2830814, 3591241, 6422055, 1.27\n10/03/2019,2097645,2882751,4980396,1.37\r\n";
        let (product, days, _) =
            parse(Path::new("/data/totalpc.csv"), "s", copy.as_bytes(), None).unwrap();
        assert_eq!(product, "TOTAL");
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2019, 10, 2).unwrap());
    }

    #[test]
    fn inconsistent_rows_are_refused_with_line_and_field() {
        let text = "DATE,CALLS,PUTS,TOTAL,Ratio\n\
10/02/2019,100,50,151,0.50\n\
10/03/2019,100,50,150,0.60\n\
10/04/2019,100,5x,150,0.50\n\
10/05/2019,100,50,150,0.50\n\
10/05/2019,100,50,150,0.50\n";
        let (_, days, rejected) =
            parse(Path::new("totalpc.csv"), "s", text.as_bytes(), None).unwrap();
        assert_eq!(days.len(), 1);
        let reasons: Vec<(Option<u64>, Option<String>)> =
            rejected.iter().map(|r| (r.line, r.field.clone())).collect();
        assert_eq!(
            reasons,
            vec![
                (Some(2), Some("TOTAL".to_string())),
                (Some(3), Some("RATIO".to_string())),
                (Some(4), Some("PUTS".to_string())),
                (Some(6), None),
            ]
        );
        assert!(
            parse(Path::new("mine.csv"), "mine.csv", text.as_bytes(), None)
                .unwrap_err()
                .to_string()
                .contains("--product")
        );
    }
}
