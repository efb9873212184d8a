//! Runs the sqllogictest files in `tests/slt/` against a whalewatch session over a scratch copy
//! of the shipped sample lake.
//!
//! Rendering rule (fixed so expectations do not drift): NULL is `NULL`; a float with no
//! fractional part prints as an integer; any other float prints with 10 decimals, trailing
//! zeros trimmed; every other type prints as Arrow displays it.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use sqllogictest::{DBOutput, DefaultColumnType};

use crate::support::{copy_tree, repo};

pub fn render_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.10}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn render_rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter"))
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .zip(&formatters)
                    .map(|(column, formatter)| match column.data_type() {
                        _ if column.is_null(row) => "NULL".to_string(),
                        DataType::Float64 => {
                            render_float(column.as_primitive::<Float64Type>().value(row))
                        }
                        _ => formatter.value(row).to_string(),
                    })
                    .collect(),
            );
        }
    }
    rows
}

struct Whalewatch {
    ctx: SessionContext,
}

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for Whalewatch {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let result = whalewatch::sql::run_script(&self.ctx, sql, None)
            .await
            .map_err(|e| SltError(e.to_string()))?;
        let is_statement = result.schema.fields().is_empty()
            || (result.schema.fields().len() == 1
                && result.schema.field(0).name() == "count"
                && sql.trim_start().to_ascii_uppercase().starts_with("CREATE"));
        if is_statement {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = result
            .schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                t if t.is_integer() => DefaultColumnType::Integer,
                t if t.is_floating() => DefaultColumnType::FloatingPoint,
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                    DefaultColumnType::Text
                }
                _ => DefaultColumnType::Any,
            })
            .collect();
        Ok(DBOutput::Rows {
            types,
            rows: render_rows(&result.batches),
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "whalewatch"
    }
}

#[tokio::test]
async fn sqllogictest_files() {
    let scratch = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("data"), scratch.path());
    let mut files: Vec<_> = std::fs::read_dir(repo().join("tests/slt"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let lake_root = scratch.path().to_path_buf();
        let mut runner = sqllogictest::Runner::new(move || {
            let lake_root = lake_root.clone();
            async move {
                let lake = whalewatch::lake::Lake::new(lake_root);
                let ctx = whalewatch::sql::open_session(
                    &lake,
                    &whalewatch::sql::SessionSettings {
                        threads: Some(2),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| SltError(e.to_string()))?;
                Ok::<_, SltError>(Whalewatch { ctx })
            }
        });
        // Column types are not asserted, only values.
        runner.with_column_validator(|_, _| true);
        if let Err(error) = runner.run_file_async(&file).await {
            panic!("{}: {error}", file.display());
        }
    }
}
