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
    /// Why the record could not be read as fields (an unclosed quote, an overlong record, bytes
    /// that are not UTF-8): it is refused with this reason by [`Table::misfit`].
    pub problem: Option<String>,
}

impl Table {
    /// The refusal of a record whose field count differs from the header's: an unquoted `1,234`
    /// or a cut line would otherwise put values under the wrong columns.
    /// A record the reader could not split, or with a NUL byte in a field, is refused here too.
    pub fn misfit(&self, record: &Record, source: &str) -> Option<Rejected> {
        let refuse = |field: Option<String>, reason: String| Rejected {
            source: source.to_string(),
            line: Some(record.line),
            field,
            raw: Some(record.raw.clone()),
            reason,
        };
        if let Some(problem) = &record.problem {
            return Some(refuse(None, problem.clone()));
        }
        if record.fields.len() != self.header.len() {
            return Some(refuse(
                None,
                format!(
                    "{} fields where the header has {}",
                    record.fields.len(),
                    self.header.len()
                ),
            ));
        }
        // A NUL byte is no feed's text: it marks a binary or corrupt file, and would end a
        // symbol early for C readers of the Parquet.
        let nul = record
            .fields
            .iter()
            .position(|f| f.as_deref().is_some_and(|f| f.contains('\0')))?;
        Some(refuse(
            self.header.get(nul).cloned(),
            "a NUL byte in the field".to_string(),
        ))
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
    let source = path.display().to_string();
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = sniff_delimiter(first_line);
    let mut split = Split::new(bytes, delimiter, 1);
    let mut record = RecordBuf::default();
    let header: Vec<String> = match split.next_into(&mut record) {
        None => Vec::new(),
        Some(Next::Record { .. }) => (0..record.len())
            .map(|i| {
                String::from_utf8_lossy(record.get(i).unwrap_or_default())
                    .trim()
                    .to_string()
            })
            .collect(),
        Some(Next::Refused { line, reason, .. }) => {
            return Err(Error::format(
                &source,
                Some(line),
                None,
                format!("cannot read the header: {reason}"),
            ))
        }
    };
    split.expect_width(header.len());
    let mut rows = Vec::new();
    while let Some(next) = split.next_into(&mut record) {
        rows.push(match next {
            Next::Refused { line, raw, reason } => Record {
                line,
                fields: Vec::new(),
                raw,
                problem: Some(reason),
            },
            Next::Record { line, start, end } => {
                let raw = raw_text(&bytes[start..end]);
                // Each field on its own: the fields' bytes run together can be UTF-8 where a
                // field is not (a character's first byte ends one field, the rest begins the next).
                let fields: Option<Vec<Option<String>>> = (0..record.len())
                    .map(|i| {
                        let field = std::str::from_utf8(record.get(i).unwrap_or_default()).ok()?;
                        let field = field.trim();
                        Some((!field.is_empty()).then(|| field.to_string()))
                    })
                    .collect();
                match fields {
                    Some(fields) => Record {
                        line,
                        fields,
                        raw,
                        problem: None,
                    },
                    None => Record {
                        line,
                        fields: Vec::new(),
                        raw,
                        problem: Some("not UTF-8 text".to_string()),
                    },
                }
            }
        });
    }
    Ok(Table { header, rows })
}

/// UTF-8's byte-order mark, which Excel writes at the start of a CSV.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The most bytes one record may have (all its lines, when a quoted field spans lines). No feed's
/// record comes near it; a longer one is a corrupt file or an unclosed quote, refused alone.
pub const MAX_RECORD_BYTES: usize = 64 << 10;

/// The most lines one record may span (a quoted field with line breaks in it).
pub const MAX_RECORD_LINES: u64 = 64;

/// A refused record's raw text is kept up to this many bytes (then `…`).
pub const MAX_RAW_BYTES: usize = 1024;

/// The largest file a collector reads whole into memory; larger ones are refused before reading.
/// (Tapes stream and are not bounded by it.)
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// Refuses a file larger than [`MAX_FILE_BYTES`] before it is read whole.
pub fn check_file_size(path: &Path, size: u64) -> Result<()> {
    if size > MAX_FILE_BYTES {
        return Err(Error::format(
            path.display().to_string(),
            None,
            None,
            format!(
                "{size} bytes is more than the {} GiB a file read whole may have: split it",
                MAX_FILE_BYTES >> 30
            ),
        ));
    }
    Ok(())
}

/// Reads one line (through its `\n`, if it has one) onto `line`, without holding more than `max`
/// bytes of it: `Ok(None)` for a longer line (what was read of it is left in `line`), else the
/// bytes read (0 at the end of the input).
pub fn read_line_bounded(
    reader: &mut impl std::io::BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<usize>> {
    let mut read = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(Some(read));
        }
        let (take, ends) = match memchr::memchr(b'\n', buffer) {
            Some(i) => (i + 1, true),
            None => (buffer.len(), false),
        };
        if line.len() + take > max {
            return Ok(None);
        }
        line.extend_from_slice(&buffer[..take]);
        reader.consume(take);
        read += take;
        if ends {
            return Ok(Some(read));
        }
    }
}

/// A record's raw text as kept in `rejected_records`: lossy UTF-8, at most [`MAX_RAW_BYTES`].
pub fn raw_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() <= MAX_RAW_BYTES {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut text = String::from_utf8_lossy(&bytes[..MAX_RAW_BYTES]).into_owned();
    // A character cut in two at the bound ends as U+FFFD; drop it.
    while text.ends_with('\u{fffd}') {
        text.pop();
    }
    text.push_str(&format!("… ({} bytes in all)", bytes.len()));
    text
}

/// One record's fields, unquoted (as `csv::ByteRecord`: one buffer and where each field ends).
#[derive(Default)]
pub struct RecordBuf {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl RecordBuf {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// The fields' bytes one after the other.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }
    /// Where field `i` is in [`RecordBuf::as_slice`].
    pub fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start..end)
    }
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.range(i).map(|r| &self.bytes[r])
    }
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// What [`Split::next_into`] found at the next line.
pub enum Next {
    /// A record, its fields in the buffer; `start..end` is its text (without the line break).
    Record { line: u64, start: usize, end: usize },
    /// A line that starts no readable record (an unclosed quote, an overlong record): refused
    /// alone, and reading goes on at the line after it.
    Refused {
        line: u64,
        raw: String,
        reason: String,
    },
}

/// Splits delimited text into records with RFC 4180 quoting (a field that starts with `"` runs to
/// the matching `"`, `""` inside it is one `"`), counting lines as it goes. A record is bounded by
/// [`MAX_RECORD_LINES`] and [`MAX_RECORD_BYTES`]: a quote that is never closed costs its own line,
/// not the rest of the file. Blank lines are skipped.
pub struct Split<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
    delimiter: u8,
    width: Option<usize>,
}

impl<'a> Split<'a> {
    /// `first_line` is the line number of `text`'s first line in its file.
    pub fn new(text: &'a [u8], delimiter: u8, first_line: u64) -> Self {
        Split {
            text,
            at: 0,
            line: first_line,
            delimiter,
            width: None,
        }
    }

    /// The header's field count: a record spanning lines must have it, or the quote that joined
    /// the lines is taken for a stray one and only the first line is refused.
    pub fn expect_width(&mut self, width: usize) {
        self.width = Some(width);
    }

    /// The next record into `out`, or None at the end of the text.
    pub fn next_into(&mut self, out: &mut RecordBuf) -> Option<Next> {
        let text = self.text;
        // Blank lines are no records.
        loop {
            match text.get(self.at..)? {
                [] => return None,
                [b'\n', ..] => self.at += 1,
                [b'\r', b'\n', ..] => self.at += 2,
                _ => break,
            }
            self.line += 1;
        }
        let (start, first) = (self.at, self.line);
        out.clear();
        let mut pos = start;
        let mut lines = 1u64;
        let mut ended = false;
        while !ended {
            if text.get(pos) == Some(&b'"') {
                pos += 1;
                loop {
                    let Some(i) = memchr::memchr2(b'"', b'\n', &text[pos..]).map(|i| pos + i)
                    else {
                        return Some(
                            self.refuse(
                                start,
                                first,
                                "a quote that is never closed (it runs to the end of the file)"
                                    .to_string(),
                            ),
                        );
                    };
                    if text[i] == b'"' {
                        out.bytes.extend_from_slice(&text[pos..i]);
                        if text.get(i + 1) == Some(&b'"') {
                            out.bytes.push(b'"');
                            pos = i + 2;
                            continue;
                        }
                        pos = i + 1;
                        break;
                    }
                    out.bytes.extend_from_slice(&text[pos..=i]);
                    pos = i + 1;
                    lines += 1;
                    if lines > MAX_RECORD_LINES || pos - start > MAX_RECORD_BYTES {
                        return Some(self.refuse(
                            start,
                            first,
                            format!(
                                "a quote that is not closed within {MAX_RECORD_LINES} lines or {} KiB",
                                MAX_RECORD_BYTES >> 10
                            ),
                        ));
                    }
                }
            }
            // The unquoted field, or what follows a closing quote, up to the delimiter or line end.
            let end = memchr::memchr2(self.delimiter, b'\n', &text[pos..])
                .map_or(text.len(), |i| pos + i);
            let field = &text[pos..end];
            match text.get(end) {
                Some(&b) if b == self.delimiter => {
                    out.bytes.extend_from_slice(field);
                    pos = end + 1;
                }
                _ => {
                    out.bytes
                        .extend_from_slice(field.strip_suffix(b"\r").unwrap_or(field));
                    pos = (end + 1).min(text.len());
                    ended = true;
                }
            }
            out.ends.push(out.bytes.len());
        }
        let record_end = if text[..pos].ends_with(b"\n") {
            pos - 1
        } else {
            pos
        };
        let record_end = if text[..record_end].ends_with(b"\r") {
            record_end - 1
        } else {
            record_end
        };
        if record_end - start > MAX_RECORD_BYTES {
            return Some(self.refuse(
                start,
                first,
                format!(
                    "a record of {} bytes: more than the {} KiB a record may have",
                    record_end - start,
                    MAX_RECORD_BYTES >> 10
                ),
            ));
        }
        if lines > 1 && self.width.is_some_and(|w| w != out.len()) {
            return Some(self.refuse(
                start,
                first,
                format!(
                    "a quote that is not closed on its line (closing it {} lines later makes {} \
                     fields where the header has {})",
                    lines - 1,
                    out.len(),
                    self.width.unwrap_or_default()
                ),
            ));
        }
        self.at = pos;
        self.line += lines;
        Some(Next::Record {
            line: first,
            start,
            end: record_end,
        })
    }

    /// Refuses the line at `start` alone; reading goes on at the next one.
    fn refuse(&mut self, start: usize, line: u64, reason: String) -> Next {
        let text = self.text;
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        self.at = (end + 1).min(text.len());
        self.line = line + 1;
        Next::Refused {
            line,
            raw: raw_text(&text[start..end]),
            reason,
        }
    }
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
                problem: None,
            });
        }
    }
    Ok(Table { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        parse(Path::new("t.csv"), text.as_bytes().to_vec()).expect("parses")
    }

    fn refused(table: &Table) -> Vec<(u64, String)> {
        table
            .rows
            .iter()
            .filter_map(|r| table.misfit(r, "t.csv").map(|x| (r.line, x.reason)))
            .collect()
    }

    #[test]
    fn an_unclosed_quote_costs_its_own_line_only() {
        let mut text = String::from("date,symbol,close\n2024-01-02,AAPL,1\n2024-01-03,\"AAPL,2\n");
        for day in 4..1000 {
            text.push_str(&format!("d{day},MSFT,{day}\n"));
        }
        let table = table(&text);
        let refused = refused(&table);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].0, 3);
        assert!(refused[0].1.contains("quote"), "{}", refused[0].1);
        assert_eq!(table.rows.len(), 998);
        let last = table.rows.last().expect("rows");
        assert_eq!(last.line, 999);
        assert_eq!(last.fields[2].as_deref(), Some("999"));
    }

    #[test]
    fn a_stray_quote_closed_lines_later_refuses_its_first_line_only() {
        let table = table("a,b\n\"x,1\n2,3\n4\",5,6\n6,7\n");
        let refused = refused(&table);
        let lines: Vec<u64> = refused.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![2, 4], "{refused:?}");
        assert!(
            refused[0].1.contains("not closed on its line"),
            "{}",
            refused[0].1
        );
        let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        // `4",5,6` has the quote inside its field: a literal character.
        assert_eq!(table.rows[2].fields[0].as_deref(), Some("4\""));
    }

    #[test]
    fn quoted_fields_keep_delimiters_doubled_quotes_and_line_breaks() {
        let table = table("\u{feff}name,note\n\"Acme, Inc.\",\"say \"\"hi\"\"\nthere\"\r\nb,c\n");
        assert_eq!(table.header, vec!["name", "note"]);
        assert!(refused(&table).is_empty());
        assert_eq!(table.rows[0].fields[0].as_deref(), Some("Acme, Inc."));
        assert_eq!(
            table.rows[0].fields[1].as_deref(),
            Some("say \"hi\"\nthere")
        );
        assert_eq!((table.rows[0].line, table.rows[1].line), (2, 4));
    }

    #[test]
    fn an_overlong_record_is_refused_with_its_raw_text_cut() {
        let long = "x".repeat(MAX_RECORD_BYTES + 1);
        let table = table(&format!("a,b\n{long},1\n2,3\n"));
        let refused = refused(&table);
        assert_eq!(refused.len(), 1);
        assert!(refused[0].1.contains("KiB"), "{}", refused[0].1);
        assert!(table.rows[0].raw.len() < MAX_RAW_BYTES + 64);
        assert_eq!(table.rows[1].line, 3);
    }

    #[test]
    fn a_quote_open_past_the_line_bound_is_refused() {
        let mut text = String::from("a\n\"open\n");
        for i in 0..200 {
            text.push_str(&format!("{i}\n"));
        }
        let table = table(&text);
        assert_eq!(refused(&table).len(), 1);
        assert_eq!(table.rows.len(), 201);
        assert_eq!(table.rows[1].line, 3);
    }

    #[test]
    fn nul_bytes_and_bad_utf8_are_refused_by_field() {
        let mut bytes = b"sym,v\nAB\0C,1\nok,2\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe,3\n");
        let table = parse(Path::new("t.csv"), bytes).expect("parses");
        let refusals: Vec<Rejected> = table
            .rows
            .iter()
            .filter_map(|r| table.misfit(r, "t.csv"))
            .collect();
        assert_eq!(refusals.len(), 2);
        assert_eq!(refusals[0].field.as_deref(), Some("sym"));
        assert_eq!(refusals[0].line, Some(2));
        assert!(refusals[1].reason.contains("UTF-8"));
    }

    #[test]
    fn a_character_cut_by_a_delimiter_is_refused_not_a_panic() {
        // Found by fuzzing (tests/fuzz/regressions/bars_csv/): `\xd1` ends one field and `\x94`
        // begins the next; run together they are `є`, but neither field is UTF-8 on its own.
        let bytes = b"sym,v,w\nO:\xd1,\x9405.56,1\nok,2,3\n".to_vec();
        let table = parse(Path::new("t.csv"), bytes).expect("parses");
        assert_eq!(table.rows.len(), 2);
        let refusals: Vec<Rejected> = table
            .rows
            .iter()
            .filter_map(|r| table.misfit(r, "t.csv"))
            .collect();
        assert_eq!(refusals.len(), 1);
        assert_eq!(refusals[0].line, Some(2));
        assert!(
            refusals[0].reason.contains("UTF-8"),
            "{}",
            refusals[0].reason
        );
        assert_eq!(table.rows[1].fields[0].as_deref(), Some("ok"));
    }

    #[test]
    fn a_line_is_read_up_to_its_bound_and_no_further() {
        let text = format!("ab\n{}\nc", "x".repeat(100));
        let mut reader = std::io::BufReader::with_capacity(8, text.as_bytes());
        let mut line = Vec::new();
        assert_eq!(
            read_line_bounded(&mut reader, &mut line, 50).unwrap(),
            Some(3)
        );
        assert_eq!(line, b"ab\n");
        line.clear();
        assert_eq!(read_line_bounded(&mut reader, &mut line, 50).unwrap(), None);
        assert!(line.len() <= 50);
        let mut reader = std::io::BufReader::new("c".as_bytes());
        line.clear();
        assert_eq!(
            read_line_bounded(&mut reader, &mut line, 50).unwrap(),
            Some(1)
        );
        assert_eq!(
            read_line_bounded(&mut reader, &mut Vec::new(), 50).unwrap(),
            Some(0)
        );
    }

    #[test]
    fn a_file_over_the_size_bound_is_refused_before_reading() {
        let error = check_file_size(Path::new("big.csv"), MAX_FILE_BYTES + 1)
            .expect_err("refused")
            .to_string();
        assert!(error.starts_with("big.csv: "), "{error}");
        assert!(check_file_size(Path::new("ok.csv"), MAX_FILE_BYTES).is_ok());
    }
}
