//! Writing a result: a terminal table, CSV, JSON (one array), NDJSON or Parquet, to standard
//! output or to a file (written whole, then renamed into place).

use std::fs;
use std::io::Write;
use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::json;
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
                writer.write(&RecordBatch::new_empty(schema.clone()))?;
            }
            for batch in batches {
                writer.write(batch)?;
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
