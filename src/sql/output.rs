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
