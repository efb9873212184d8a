//! Writing a result: a terminal table, CSV, JSON (one array), NDJSON or Parquet, to standard
//! output or to a file (written whole, then renamed into place).

use std::fs;
use std::io::Write;
use std::path::Path;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::csv;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::json;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_schema;
use datafusion::parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
    Parquet,
}

/// CSV has no lists or structs: such a column is written as its text (`[a, b]`), NULL as empty.
fn nested_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type().is_nested())
    {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type().is_nested() {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            let text: StringArray = (0..column.len())
                .map(|row| {
                    column
                        .is_valid(row)
                        .then(|| formatter.value(row).to_string())
                })
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Encodes `batches` in `format`.
pub fn encode(schema: &SchemaRef, batches: &[RecordBatch], format: Format) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        Format::Table => {
            writeln!(
                out,
                "{}",
                pretty_format_batches_with_schema(schema.clone(), batches)?
            )
            .map_err(|e| Error::io("-", e))?;
        }
        Format::Csv => {
            let mut writer = csv::WriterBuilder::new().with_header(true).build(&mut out);
            if batches.is_empty() {
                writer.write(&nested_as_text(&RecordBatch::new_empty(schema.clone()))?)?;
            }
            for batch in batches {
                writer.write(&nested_as_text(batch)?)?;
            }
        }
        Format::Json => {
            let mut writer = json::ArrayWriter::new(&mut out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
            if batches.iter().all(|b| b.num_rows() == 0) {
                out = b"[]".to_vec();
            }
            out.push(b'\n');
        }
        Format::Ndjson => {
            let mut writer = json::LineDelimitedWriter::new(&mut out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        Format::Parquet => {
            let mut writer =
                ArrowWriter::try_new(&mut out, schema.clone(), None).map_err(|source| {
                    Error::Parquet {
                        path: "-".into(),
                        source,
                    }
                })?;
            for batch in batches {
                writer.write(batch).map_err(|source| Error::Parquet {
                    path: "-".into(),
                    source,
                })?;
            }
            writer.close().map_err(|source| Error::Parquet {
                path: "-".into(),
                source,
            })?;
        }
    }
    Ok(out)
}

/// Writes the result to `output`, or to standard output.
pub fn write(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    output: Option<&Path>,
) -> Result<()> {
    let bytes = encode(schema, batches, format)?;
    match output {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("output");
            let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
            fs::write(&temp, &bytes).map_err(|e| Error::io(&temp, e))?;
            fs::rename(&temp, path).map_err(|e| Error::io(path, e))
        }
        None => {
            if format == Format::Parquet {
                return Err(Error::Usage(
                    "--format parquet needs --output FILE".to_string(),
                ));
            }
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&bytes).and_then(|_| stdout.flush()) {
                Ok(()) => Ok(()),
                // `whalewatch sql … | head` closing the pipe is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::io("<stdout>", e)),
            }
        }
    }
}

/// The width of the terminal in columns: `$COLUMNS` when it is set (an explicit choice wins),
/// else the size of the terminal standard output is on; None when output goes elsewhere.
pub fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or_else(|| {
            // console is indicatif's (already built); terminal_size would rebuild DataFusion's
            // rustix with another feature.
            let stdout = console::Term::stdout();
            stdout
                .is_term()
                .then(|| stdout.size_checked())
                .flatten()
                .map(|(_, columns)| usize::from(columns))
        })
}

/// A column is never cut narrower than this: "AAP…" still says something.
const MIN_COLUMN_WIDTH: usize = 4;

/// `text` cut to at most `width` characters, its end replaced with "…" when cut (each line of a
/// multi-line value on its own).
pub fn elide(text: &str, width: usize) -> String {
    let width = width.max(1);
    text.split('\n')
        .map(|line| {
            if line.chars().count() <= width {
                line.to_string()
            } else {
                let mut cut: String = line.chars().take(width - 1).collect();
                cut.push('…');
                cut
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The widths to give columns whose widest values are `natural` so that a table of them, framed
/// as `| a | b |`, fits in `width`: the widest column gives up a character at a time, down to
/// [`MIN_COLUMN_WIDTH`] (so a table of very many columns may still be wider).
pub fn fit_column_widths(natural: &[usize], width: usize) -> Vec<usize> {
    let frame = 3 * natural.len() + 1;
    let budget = width.saturating_sub(frame);
    let mut widths = natural.to_vec();
    let mut total: usize = widths.iter().sum();
    while total > budget {
        let Some((widest, &w)) = widths
            .iter()
            .enumerate()
            .max_by_key(|(i, w)| (**w, std::cmp::Reverse(*i)))
        else {
            break;
        };
        if w <= MIN_COLUMN_WIDTH {
            break;
        }
        widths[widest] = w - 1;
        total -= 1;
    }
    widths
}

/// A terminal table like [`Format::Table`]'s, of the first `max_rows` rows (None: all), with
/// long values cut with "…" so that a line fits in `width` columns (see [`fit_column_widths`]).
pub fn table_fitted(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    max_rows: Option<usize>,
    width: usize,
) -> Result<String> {
    let options = FormatOptions::default().with_display_error(true);
    let limit = max_rows.unwrap_or(usize::MAX);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in batches {
        if rows.len() >= limit {
            break;
        }
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows().min(limit - rows.len()) {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    let line_width = |text: &str| text.split('\n').map(|l| l.chars().count()).max();
    let natural: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            rows.iter()
                .filter_map(|row| line_width(&row[i]))
                .chain(line_width(field.name()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let widths = fit_column_widths(&natural, width);
    // The cut values go through arrow's own printer, so a fitted table looks like any other.
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&widths)
        .map(|(field, &w)| Field::new(elide(field.name(), w), DataType::Utf8, true))
        .collect();
    let columns: Vec<ArrayRef> = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let text: StringArray = rows.iter().map(|row| Some(elide(&row[i], w))).collect();
            Arc::new(text) as ArrayRef
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = if columns.is_empty() {
        RecordBatch::new_empty(schema.clone())
    } else {
        RecordBatch::try_new(schema.clone(), columns)?
    };
    Ok(format!(
        "{}\n",
        pretty_format_batches_with_schema(schema, &[batch])?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    #[test]
    fn elide_cuts_with_an_ellipsis() {
        assert_eq!(elide("AAPL", 4), "AAPL");
        assert_eq!(elide("Apple Inc.", 6), "Apple…");
        assert_eq!(elide("Äpfel und Birnen", 3), "Äp…");
        assert_eq!(elide("one\ntwo three", 4), "one\ntwo…");
    }

    #[test]
    fn the_widest_columns_give_up_width_first() {
        // Frame of 3 columns: 10 characters; 30 - 10 leaves 20 for the values.
        assert_eq!(fit_column_widths(&[4, 30, 10], 30), vec![4, 8, 8]);
        assert_eq!(fit_column_widths(&[4, 5, 6], 100), vec![4, 5, 6]);
        // Never below the minimum, even when that overflows.
        assert_eq!(fit_column_widths(&[20, 20], 5), vec![4, 4]);
    }

    #[test]
    fn a_wide_table_is_cut_to_the_width_and_rows_to_max_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("description", DataType::Utf8, true),
        ]));
        let long = "a very long description of a security that goes on and on".to_string();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(StringArray::from(vec![
                    Some(long.clone()),
                    None,
                    Some("short".into()),
                ])),
            ],
        )
        .unwrap();
        let text = table_fitted(&schema, std::slice::from_ref(&batch), Some(2), 30).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 30, "{line:?} is wider than 30");
        }
        assert!(text.contains("| 1 | a very long descripti… |"), "{text}");
        assert!(text.contains("| 2 |"), "{text}");
        assert!(
            !text.contains("short"),
            "the third row is past max_rows: {text}"
        );
        // Wide enough: the same table as `Format::Table` prints.
        let all = table_fitted(&schema, std::slice::from_ref(&batch), None, 200).unwrap();
        let plain = String::from_utf8(encode(&schema, &[batch], Format::Table).unwrap()).unwrap();
        assert_eq!(all, plain);
        assert!(!all.contains('…'));
    }
}
