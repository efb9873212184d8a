//! Parses a user's CSV (comma, tab, semicolon or pipe) or Parquet file as header + text fields,
//! keeping each record's line number and raw text so a refused record can be shown as it was.

use std::collections::BTreeMap;
use std::path::Path;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::lake::Rejected;

pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Record>,
}

pub struct Record {
    /// Line in a CSV file (the header is line 1), row number in a Parquet file.
    pub line: u64,
    pub fields: Vec<Option<String>>,
    pub raw: String,
}

impl Table {
    /// The refusal of a record whose field count differs from the header's: an unquoted `1,234`
    /// or a cut line would otherwise put values under the wrong columns.
    pub fn misfit(&self, record: &Record, source: &str) -> Option<Rejected> {
        (record.fields.len() != self.header.len()).then(|| Rejected {
            source: source.to_string(),
            line: Some(record.line),
            field: None,
            raw: Some(record.raw.clone()),
            reason: format!(
                "{} fields where the header has {}",
                record.fields.len(),
                self.header.len()
            ),
        })
    }

    /// The index of the first header that matches one of `names` (case and spaces ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            self.header
                .iter()
                .position(|h| normal_header(h) == normal_header(name))
        })
    }
}

impl Table {
    /// Where each target column is: the header the user named with `--column target=HEADER`, or
    /// else the first of the target's usual names that the header has.
    pub fn resolve<'t>(
        &self,
        targets: &[(&'t str, &[&str])],
        column_map: &[(String, String)],
    ) -> BTreeMap<&'t str, Option<usize>> {
        targets
            .iter()
            .map(|&(target, defaults)| {
                let mapped = column_map.iter().find(|(t, _)| t == target);
                let index = match mapped {
                    Some((_, header)) => self.column(&[header.as_str()]),
                    None => self.column(defaults),
                };
                (target, index)
            })
            .collect()
    }

    /// Each record with the header's field count, ready to read by target column; the others are
    /// refused into `rejected` (see [`Table::misfit`]).
    pub fn fields<'a>(
        &'a self,
        at: &'a BTreeMap<&'static str, Option<usize>>,
        source: &'a str,
        rejected: &mut Vec<Rejected>,
    ) -> Vec<Fields<'a>> {
        let mut fields = Vec::with_capacity(self.rows.len());
        for record in &self.rows {
            match self.misfit(record, source) {
                Some(refused) => rejected.push(refused),
                None => fields.push(Fields {
                    table: self,
                    record,
                    at,
                    source,
                }),
            }
        }
        fields
    }

    /// The error for a required column the header lacks.
    pub fn missing(&self, source: &str, target: &str) -> Error {
        Error::format(
            source,
            Some(1),
            None,
            format!(
                "no {target} column in header {:?}; name it with --column {target}=HEADER",
                self.header
            ),
        )
    }
}

/// The fields of one record, and the refusal of it naming the header of a target column.
pub struct Fields<'a> {
    pub table: &'a Table,
    pub record: &'a Record,
    pub at: &'a BTreeMap<&'static str, Option<usize>>,
    pub source: &'a str,
}

impl Fields<'_> {
    pub fn text(&self, target: &str) -> Option<&str> {
        let index = self.at.get(target).copied().flatten()?;
        self.record
            .fields
            .get(index)
            .and_then(|f| f.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    pub fn reject(&self, target: &str, reason: String) -> Rejected {
        let field = self
            .at
            .get(target)
            .copied()
            .flatten()
            .and_then(|i| self.table.header.get(i).cloned())
            .unwrap_or_else(|| target.to_string());
        Rejected {
            source: self.source.to_string(),
            line: Some(self.record.line),
            field: Some(field),
            raw: Some(self.record.raw.clone()),
            reason,
        }
    }

    pub fn required(&self, target: &str) -> Result<&str, Rejected> {
        self.text(target)
            .ok_or_else(|| self.reject(target, "empty".to_string()))
    }
}

/// Parses the bytes of a file already read; `path` names it and tells Parquet (by extension) from CSV.
pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Table> {
    if has_extension(path, "parquet") {
        parse_parquet(path, bytes)
    } else {
        parse_delimited(path, &bytes)
    }
}

/// Whether `path`'s name ends in `.ext` (any case).
pub fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A header as headers are compared: case, spaces, underscores and a byte-order mark ignored
/// (`TIME_M`, `time m` and `TimeM` are one name).
pub fn normal_header(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '_'], "")
}

/// The delimiter of a file by its header line: the most frequent of comma, tab, pipe and semicolon.
pub fn sniff_delimiter(first_line: &[u8]) -> u8 {
    [b',', b'\t', b'|', b';']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

fn parse_delimited(path: &Path, bytes: &[u8]) -> Result<Table> {
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = sniff_delimiter(first_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let source = path.display().to_string();
    let header = reader
        .headers()
        .map_err(|e| {
            Error::format(
                &source,
                Some(1),
                None,
                format!("cannot read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            Error::format(&source, line, None, format!("not valid CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        let raw = String::from_utf8_lossy(&bytes[start..end])
            .trim_end_matches('\r')
            .to_string();
        let fields = record
            .iter()
            .map(|f| (!f.is_empty()).then(|| f.to_string()))
            .collect();
        rows.push(Record { line, fields, raw });
    }
    Ok(Table { header, rows })
}

/// A Parquet file's column names and its batches with every column cast to text, for collectors
/// that check a user's Parquet as they check a CSV.
pub fn parquet_as_text(
    path: &Path,
    bytes: Vec<u8>,
) -> Result<(Vec<String>, impl Iterator<Item = Result<Vec<ArrayRef>>>)> {
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(parquet_error)?;
    let header: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = builder.build().map_err(parquet_error)?.map(|batch| {
        let batch = batch?;
        let columns = batch
            .columns()
            .iter()
            .map(|c| cast(c, &DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(columns)
    });
    Ok((header, batches))
}

fn parse_parquet(path: &Path, bytes: Vec<u8>) -> Result<Table> {
    let (header, batches) = parquet_as_text(path, bytes)?;
    let mut rows = Vec::new();
    for columns in batches {
        let columns = columns?;
        let num_rows = columns.first().map_or(0, |c| c.len());
        for row in 0..num_rows {
            let fields: Vec<Option<String>> = columns
                .iter()
                .map(|c| {
                    c.is_valid(row)
                        .then(|| c.as_string::<i32>().value(row).to_string())
                })
                .collect();
            let raw = fields
                .iter()
                .map(|f| f.as_deref().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(",");
            rows.push(Record {
                line: rows.len() as u64 + 1,
                fields,
                raw,
            });
        }
    }
    Ok(Table { header, rows })
}
