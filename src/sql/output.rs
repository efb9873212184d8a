//! Writing a result: a terminal table, CSV, JSON (one array), NDJSON or Parquet, to standard
//! output or to a file (written whole, then renamed into place).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// How many rows a table is fitted to: their widest values set the columns' widths, and the
/// rows after them are written with those widths (on a terminal a longer value is cut with "…";
/// elsewhere it is written whole, wider than its column).
pub const TABLE_FIT_ROWS: usize = 1000;

/// The destination of a result: standard output (a reader that goes away ends the query
/// quietly) or a file, written under a temporary name and renamed into place once whole.
type Out = BufWriter<Box<dyn Write + Send>>;

/// Standard output, noting when the reader has gone (`whalewatch sql … | head`).
struct StdoutPipe {
    closed: Arc<AtomicBool>,
}

impl StdoutPipe {
    fn guard(&self, result: std::io::Result<usize>, len: usize) -> std::io::Result<usize> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(len)
            }
            other => other,
        }
    }
}

impl Write for StdoutPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        let written = std::io::stdout().write(buf);
        self.guard(written, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let flushed = std::io::stdout().flush().map(|()| 0);
        self.guard(flushed, 0).map(|_| ())
    }
}

enum Encoder {
    Table(TableWriter, Out),
    Csv(csv::Writer<Out>),
    Json(json::ArrayWriter<Out>),
    Ndjson(json::LineDelimitedWriter<Out>),
    Parquet(ArrowWriter<Out>),
}

/// Writes a result batch by batch in a [`Format`], to standard output or to a file: memory
/// holds one batch at a time (and, for a table, the rows it is fitted to).
pub struct ResultWriter {
    format: Format,
    /// For a table: the width to fit it to (cutting values), the rows to show, and whether a
    /// result without columns prints nothing (the REPL) or arrow's empty frame.
    table: TableWriter,
    /// Until `start` opens it.
    out: Option<Out>,
    encoder: Option<Encoder>,
    /// The file and its temporary name; None for standard output.
    file: Option<(PathBuf, PathBuf)>,
    closed: Arc<AtomicBool>,
    rows: usize,
    finished: bool,
}

impl ResultWriter {
    /// A writer of `format` to `output` (standard output when None).
    pub fn new(format: Format, output: Option<&Path>) -> Result<Self> {
        let closed = Arc::new(AtomicBool::new(false));
        let (out, file): (Box<dyn Write + Send>, _) = match output {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("output");
                let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
                let handle = fs::File::create(&temp).map_err(|e| Error::io(&temp, e))?;
                (Box::new(handle), Some((path.to_path_buf(), temp)))
            }
            None => {
                if format == Format::Parquet {
                    return Err(Error::Usage(
                        "--format parquet needs --output FILE".to_string(),
                    ));
                }
                (
                    Box::new(StdoutPipe {
                        closed: Arc::clone(&closed),
                    }),
                    None,
                )
            }
        };
        Ok(ResultWriter {
            format,
            table: TableWriter::new(None, None, false),
            out: Some(BufWriter::with_capacity(1 << 16, out)),
            encoder: None,
            file,
            closed,
            rows: 0,
            finished: false,
        })
    }

    /// A table on standard output fitted to `width` columns, showing at most `max_rows` rows
    /// (all when None) and nothing for a result without columns: the REPL's.
    pub fn terminal_table(width: usize, max_rows: Option<usize>) -> Result<Self> {
        let mut writer = ResultWriter::new(Format::Table, None)?;
        writer.table = TableWriter::new(Some(width), max_rows, true);
        Ok(writer)
    }

    /// The rows written (for a table: received, shown or not).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows a table showed.
    pub fn rows_shown(&self) -> usize {
        self.table.shown
    }

    fn path(&self) -> PathBuf {
        self.file
            .as_ref()
            .map_or_else(|| PathBuf::from("<stdout>"), |(path, _)| path.clone())
    }

    fn parquet_error(&self, source: datafusion::parquet::errors::ParquetError) -> Error {
        Error::Parquet {
            path: self.path(),
            source,
        }
    }

    fn io_error(&self, source: std::io::Error) -> Error {
        Error::io(self.path(), source)
    }

    /// Opens the format's writer for a result of `schema`.
    pub fn start(&mut self, schema: &SchemaRef) -> Result<()> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        self.encoder = Some(match self.format {
            Format::Table => {
                self.table.start(schema);
                Encoder::Table(std::mem::take(&mut self.table), out)
            }
            Format::Csv => Encoder::Csv(csv::WriterBuilder::new().with_header(true).build(out)),
            Format::Json => Encoder::Json(json::ArrayWriter::new(out)),
            Format::Ndjson => Encoder::Ndjson(json::LineDelimitedWriter::new(out)),
            Format::Parquet => Encoder::Parquet(
                ArrowWriter::try_new(out, schema.clone(), None)
                    .map_err(|source| self.parquet_error(source))?,
            ),
        });
        Ok(())
    }

    /// Writes one batch; false when standard output's reader has gone (stop the query).
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<bool> {
        if self.encoder.is_none() {
            self.start(&batch.schema())?;
        }
        self.rows += batch.num_rows();
        let outcome = match self.encoder.as_mut() {
            Some(Encoder::Table(table, out)) => table.write(batch, out),
            Some(Encoder::Csv(writer)) => {
                nested_as_text(batch).and_then(|batch| writer.write(&batch).map_err(Error::from))
            }
            Some(Encoder::Json(writer)) => writer.write(batch).map_err(Error::from),
            Some(Encoder::Ndjson(writer)) => writer.write(batch).map_err(Error::from),
            Some(Encoder::Parquet(writer)) => {
                writer.write(batch).map_err(|source| Error::Parquet {
                    path: PathBuf::from("-"),
                    source,
                })
            }
            None => Ok(()),
        };
        outcome.map_err(|e| self.with_path(e))?;
        if self.file.is_none() {
            // Rows reach a terminal or a pipe as they come.
            let flushed = match self.encoder.as_mut() {
                Some(Encoder::Table(_, out)) => out.flush(),
                Some(Encoder::Csv(_)) | Some(Encoder::Parquet(_)) => Ok(()),
                Some(Encoder::Json(writer)) => writer.get_mut().flush(),
                Some(Encoder::Ndjson(writer)) => writer.get_mut().flush(),
                None => Ok(()),
            };
            flushed.map_err(|e| self.io_error(e))?;
        }
        Ok(!self.closed.load(Ordering::Relaxed))
    }

    fn with_path(&self, error: Error) -> Error {
        match error {
            Error::Parquet { source, .. } => self.parquet_error(source),
            other => other,
        }
    }

    /// Ends the output (a table's last border, JSON's `]`, Parquet's footer) and, for a file,
    /// renames it into place.
    pub fn finish(&mut self, schema: &SchemaRef) -> Result<()> {
        if self.encoder.is_none() {
            self.start(schema)?;
        }
        let flushed = match self.encoder.take() {
            Some(Encoder::Table(mut table, mut out)) => {
                table.finish(&mut out)?;
                self.table = table;
                out.flush()
            }
            Some(Encoder::Csv(mut writer)) => {
                if self.rows == 0 {
                    // The header alone.
                    writer.write(&nested_as_text(&RecordBatch::new_empty(schema.clone()))?)?;
                }
                writer.into_inner().flush()
            }
            Some(Encoder::Json(mut writer)) => {
                writer.finish()?;
                writer
                    .get_mut()
                    .write_all(b"\n")
                    .and_then(|()| writer.get_mut().flush())
            }
            Some(Encoder::Ndjson(mut writer)) => {
                writer.finish()?;
                writer.get_mut().flush()
            }
            Some(Encoder::Parquet(mut writer)) => {
                writer
                    .finish()
                    .map_err(|source| self.parquet_error(source))?;
                writer.inner_mut().flush()
            }
            None => Ok(()),
        };
        flushed.map_err(|e| self.io_error(e))?;
        self.finished = true;
        if let Some((path, temp)) = &self.file {
            fs::rename(temp, path).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }
}

impl Drop for ResultWriter {
    /// A result that did not finish (an error, a cancel) leaves no partial file behind.
    fn drop(&mut self) {
        if !self.finished {
            if let Some((_, temp)) = &self.file {
                self.encoder = None;
                self.out = None;
                let _ = fs::remove_file(temp);
            }
        }
    }
}

impl crate::sql::ResultSink for ResultWriter {
    fn start(&mut self, schema: &SchemaRef) -> Result<()> {
        ResultWriter::start(self, schema)
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<bool> {
        self.write_batch(batch)
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<()> {
        ResultWriter::finish(self, schema)
    }
}

/// Writes `batches` (a result already in memory) to `output`, or to standard output.
pub fn write(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    output: Option<&Path>,
) -> Result<()> {
    let mut writer = ResultWriter::new(format, output)?;
    writer.start(schema)?;
    for batch in batches {
        if !writer.write_batch(batch)? {
            break;
        }
    }
    writer.finish(schema)
}

/// An ASCII table like arrow's (`+---+` borders, `| a |` cells), written as rows come: the
/// first [`TABLE_FIT_ROWS`] are held to fit the columns' widths.
#[derive(Default)]
struct TableWriter {
    /// Cut values so that lines fit this width.
    fit_width: Option<usize>,
    max_rows: Option<usize>,
    /// A result without columns prints nothing (rather than arrow's empty frame).
    quiet_when_empty: bool,
    schema: Option<SchemaRef>,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    shown: usize,
}

fn text_width(text: &str) -> usize {
    text.split('\n')
        .map(console::measure_text_width)
        .max()
        .unwrap_or(0)
}

impl TableWriter {
    fn new(fit_width: Option<usize>, max_rows: Option<usize>, quiet_when_empty: bool) -> Self {
        TableWriter {
            fit_width,
            max_rows,
            quiet_when_empty,
            ..Default::default()
        }
    }

    fn start(&mut self, schema: &SchemaRef) {
        self.schema = Some(schema.clone());
    }

    fn columns(&self) -> usize {
        self.schema.as_ref().map_or(0, |s| s.fields().len())
    }

    fn write(&mut self, batch: &RecordBatch, out: &mut impl Write) -> Result<()> {
        if self.columns() == 0 {
            return Ok(());
        }
        let room = self.max_rows.map_or(usize::MAX, |max| {
            max.saturating_sub(self.shown + self.pending.len())
        });
        let take = batch.num_rows().min(room);
        if take == 0 {
            return Ok(());
        }
        let options = FormatOptions::default().with_display_error(true);
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..take {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect();
            if self.widths.is_some() {
                self.write_row(&cells, out)?;
                self.shown += 1;
            } else {
                self.pending.push(cells);
                if self.pending.len() >= TABLE_FIT_ROWS {
                    self.write_head(out)?;
                }
            }
        }
        Ok(())
    }

    /// Fixes the widths from the header and the rows held, and writes them.
    fn write_head(&mut self, out: &mut impl Write) -> Result<()> {
        let Some(schema) = self.schema.clone() else {
            return Ok(());
        };
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let natural: Vec<usize> = (0..names.len())
            .map(|i| {
                self.pending
                    .iter()
                    .map(|row| text_width(&row[i]))
                    .chain(std::iter::once(text_width(&names[i])))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let widths = match self.fit_width {
            Some(width) => fit_column_widths(&natural, width),
            None => natural,
        };
        self.widths = Some(widths);
        let border = self.border();
        let io = |e| Error::io("<output>", e);
        writeln!(out, "{border}").map_err(io)?;
        self.write_row(&names, out)?;
        writeln!(out, "{border}").map_err(io)?;
        for row in std::mem::take(&mut self.pending) {
            self.write_row(&row, out)?;
            self.shown += 1;
        }
        Ok(())
    }

    fn border(&self) -> String {
        let mut line = String::from("+");
        for &w in self.widths.iter().flatten() {
            line.push_str(&"-".repeat(w + 2));
            line.push('+');
        }
        line
    }

    fn write_row(&self, cells: &[String], out: &mut impl Write) -> Result<()> {
        let widths = self.widths.as_deref().unwrap_or_default();
        let cells: Vec<String> = match self.fit_width {
            Some(_) => cells
                .iter()
                .zip(widths)
                .map(|(cell, &w)| elide(cell, w))
                .collect(),
            None => cells.to_vec(),
        };
        let lines: Vec<Vec<&str>> = cells.iter().map(|c| c.split('\n').collect()).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(1);
        let mut text = String::new();
        for i in 0..height {
            text.push('|');
            for (cell, &w) in lines.iter().zip(widths) {
                let line = cell.get(i).copied().unwrap_or("");
                let pad = w.saturating_sub(console::measure_text_width(line));
                text.push(' ');
                text.push_str(line);
                text.push_str(&" ".repeat(pad));
                text.push_str(" |");
            }
            text.push('\n');
        }
        out.write_all(text.as_bytes())
            .map_err(|e| Error::io("<output>", e))
    }

    fn finish(&mut self, out: &mut impl Write) -> Result<()> {
        let Some(schema) = self.schema.clone() else {
            return Ok(());
        };
        if schema.fields().is_empty() {
            if !self.quiet_when_empty {
                writeln!(out, "{}", pretty_format_batches_with_schema(schema, &[])?)
                    .map_err(|e| Error::io("<output>", e))?;
            }
            return Ok(());
        }
        if self.widths.is_none() {
            self.write_head(out)?;
        }
        writeln!(out, "{}", self.border()).map_err(|e| Error::io("<output>", e))
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
    let mut table = TableWriter::new(Some(width), max_rows, false);
    let mut out = Vec::new();
    table.start(schema);
    for batch in batches {
        table.write(batch, &mut out)?;
    }
    table.finish(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
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
        let plain = format!(
            "{}\n",
            pretty_format_batches_with_schema(schema.clone(), &[batch]).unwrap()
        );
        assert_eq!(all, plain);
        assert!(!all.contains('…'));
    }

    /// The streamed table is arrow's table, character for character.
    #[test]
    fn tables_look_like_arrows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("an empty column", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None, Some(-300)])),
                Arc::new(StringArray::from(vec![
                    Some("Äpfel"),
                    Some("two\nlines here"),
                    Some("日本"),
                ])),
                Arc::new(StringArray::from(vec![None::<&str>, None, Some("")])),
            ],
        )
        .unwrap();
        let empty = RecordBatch::new_empty(schema.clone());
        let no_columns = Arc::new(Schema::empty());
        for (schema, batches) in [
            (schema.clone(), vec![batch.clone()]),
            (
                schema.clone(),
                vec![batch.clone(), empty.clone(), batch.clone()],
            ),
            (schema.clone(), vec![]),
            (schema.clone(), vec![empty]),
            (no_columns, vec![]),
        ] {
            let arrow = format!(
                "{}\n",
                pretty_format_batches_with_schema(schema.clone(), &batches).unwrap()
            );
            let mut table = TableWriter::new(None, None, false);
            let mut out = Vec::new();
            table.start(&schema);
            for batch in &batches {
                table.write(batch, &mut out).unwrap();
            }
            table.finish(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), arrow);
        }
    }

    /// Past the rows it is fitted to, a table goes on with the same widths.
    #[test]
    fn a_long_table_streams_with_the_widths_of_its_first_rows() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let rows = TABLE_FIT_ROWS as i64 + 5;
        let mut values: Vec<i64> = (0..rows).map(|i| i % 10).collect();
        values[TABLE_FIT_ROWS + 2] = 123_456;
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values))]).unwrap();
        let mut table = TableWriter::new(None, None, false);
        let mut out = Vec::new();
        table.start(&schema);
        table.write(&batch, &mut out).unwrap();
        // The head and the fitted rows are out before the result ends.
        let head = String::from_utf8(out.clone()).unwrap();
        assert!(head.starts_with("+---+\n| n |\n+---+\n| 0 |\n"), "{head}");
        assert_eq!(head.lines().count(), 3 + TABLE_FIT_ROWS + 5);
        table.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // A later, longer value is written whole.
        assert!(text.contains("| 123456 |"), "{text}");
        assert!(text.ends_with("| 4 |\n+---+\n"), "{text}");
        assert_eq!(table.shown, rows as usize);
    }
}
