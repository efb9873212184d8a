//! Batches of a dataset's file schema, built column by column by name: a column is checked
//! against its declaration (name, type, length, nulls) as it is given, so two swapped columns of
//! one type fail instead of landing in each other's place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, BooleanArray, GenericStringArray, Int64Array, OffsetSizeTrait,
    PrimitiveArray, RecordBatch,
};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, SchemaRef};

use super::datasets::DatasetSpec;
use super::ingest_log::timestamps;
use crate::error::{Error, Result};

/// The values [`BatchBuilder::column`] takes: a typed array, or one already behind an `ArrayRef`.
pub trait IntoColumn {
    fn into_column(self) -> ArrayRef;
}

impl IntoColumn for ArrayRef {
    fn into_column(self) -> ArrayRef {
        self
    }
}

impl<T: ArrowPrimitiveType> IntoColumn for PrimitiveArray<T> {
    fn into_column(self) -> ArrayRef {
        Arc::new(self)
    }
}

impl<O: OffsetSizeTrait> IntoColumn for GenericStringArray<O> {
    fn into_column(self) -> ArrayRef {
        Arc::new(self)
    }
}

impl IntoColumn for BooleanArray {
    fn into_column(self) -> ArrayRef {
        Arc::new(self)
    }
}

/// One batch of a dataset's file schema, `rows` long:
///
/// ```ignore
/// let batch = BatchBuilder::new(&BASKETS, n)
///     .column("basket", baskets)?
///     .column("symbol", symbols)?
///     .provenance(source, lines, now)?
///     .finish()?;
/// ```
///
/// Every non-nullable column must be given; a nullable one that is not is all NULL.
#[derive(Debug)]
pub struct BatchBuilder {
    spec: &'static DatasetSpec,
    schema: SchemaRef,
    rows: usize,
    /// The columns given so far, in the file schema's order.
    columns: Vec<Option<ArrayRef>>,
}

impl BatchBuilder {
    pub fn new(spec: &'static DatasetSpec, rows: usize) -> Self {
        let schema = spec.file_schema();
        let columns = vec![None; schema.fields().len()];
        BatchBuilder {
            spec,
            schema,
            rows,
            columns,
        }
    }

    /// Sets the column `name`, which must be one of the file schema's, not given before, of its
    /// declared type exactly, `rows` long, and without nulls if it is not nullable.
    pub fn column(mut self, name: &str, values: impl IntoColumn) -> Result<Self> {
        let values = values.into_column();
        let Some((index, field)) = self.schema.column_with_name(name) else {
            let names: Vec<&str> = self
                .schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            return Err(self.error(format!(
                "no column {name:?} in its files (its columns: {})",
                names.join(", ")
            )));
        };
        let problem = if self.columns[index].is_some() {
            Some("is given twice".to_string())
        } else if values.data_type() != field.data_type() {
            Some(format!(
                "is of type {}, not {} as declared",
                values.data_type(),
                field.data_type()
            ))
        } else if values.len() != self.rows {
            Some(format!("has {} rows, not {}", values.len(), self.rows))
        } else if !field.is_nullable() && values.null_count() > 0 {
            Some(format!(
                "is not nullable, and {} of its values are NULL",
                values.null_count()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(self.error(format!("column {name} {problem}")));
        }
        self.columns[index] = Some(values);
        Ok(self)
    }

    /// Sets each `(name, values)` column, as [`BatchBuilder::column`] does.
    pub fn columns<V: IntoColumn>(
        self,
        columns: impl IntoIterator<Item = (&'static str, V)>,
    ) -> Result<Self> {
        columns
            .into_iter()
            .try_fold(self, |builder, (name, values)| builder.column(name, values))
    }

    /// Sets the provenance columns every dataset ends with: the source (the same on every row),
    /// each row's line in it, and the time of the ingest.
    pub fn provenance(
        self,
        source: &str,
        lines: impl Iterator<Item = u64>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let lines: Int64Array = lines.map(|line| line as i64).collect();
        let n = self.rows;
        self.column("source", repeated_text(source, n))?
            .column("source_line", lines)?
            .column("ingested_at", timestamps(std::iter::repeat_n(now, n)))
    }

    /// The batch, once every non-nullable column is given; nullable columns not given are NULL.
    pub fn finish(self) -> Result<RecordBatch> {
        let fields = self.schema.fields();
        let missing: Vec<&str> = fields
            .iter()
            .zip(&self.columns)
            .filter(|(field, column)| column.is_none() && !field.is_nullable())
            .map(|(field, _)| field.name().as_str())
            .collect();
        if !missing.is_empty() {
            return Err(self.error(format!(
                "no values given for column{} {} (not nullable)",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            )));
        }
        let columns: Vec<ArrayRef> = fields
            .iter()
            .zip(self.columns)
            .map(|(field, column)| {
                column.unwrap_or_else(|| new_null_array(field.data_type(), self.rows))
            })
            .collect();
        Ok(RecordBatch::try_new(self.schema, columns)?)
    }

    fn error(&self, message: String) -> Error {
        Error::Batch {
            dataset: self.spec.name,
            message,
        }
    }
}

/// `text` `n` times as a column, built as two buffers rather than `n` strings (a source name
/// repeated down every row of a batch).
pub fn repeated_text(text: &str, n: usize) -> datafusion::arrow::array::StringArray {
    let offsets =
        datafusion::arrow::buffer::OffsetBuffer::from_lengths(std::iter::repeat_n(text.len(), n));
    datafusion::arrow::array::StringArray::new(offsets, text.repeat(n).into_bytes().into(), None)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use datafusion::arrow::array::{Float64Array, StringArray, TimestampMicrosecondArray};

    use super::*;
    use crate::lake::datasets::{BARS, BASKETS};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 14, 30, 0).unwrap()
    }

    /// BASKETS as the collectors built it before: by position.
    fn positional(weights: Float64Array) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["tech", "tech"])),
            Arc::new(StringArray::from(vec!["AAPL", "MSFT"])),
            Arc::new(weights),
            Arc::new(StringArray::from(vec!["b.csv", "b.csv"])),
            Arc::new(Int64Array::from(vec![2, 3])),
            Arc::new(timestamps([now(), now()].into_iter())),
        ];
        RecordBatch::try_new(BASKETS.file_schema(), columns).unwrap()
    }

    fn baskets() -> BatchBuilder {
        BatchBuilder::new(&BASKETS, 2)
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn a_batch_by_name_is_the_batch_by_position() {
        // In another order than the schema's: the builder puts each column in its place.
        let batch = baskets()
            .provenance("b.csv", [2, 3].into_iter(), now())
            .unwrap()
            .column("weight", Float64Array::from(vec![Some(0.5), None]))
            .unwrap()
            .column("symbol", StringArray::from(vec!["AAPL", "MSFT"]))
            .unwrap()
            .column(
                "basket",
                Arc::new(StringArray::from(vec!["tech", "tech"])) as ArrayRef,
            )
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(batch, positional(Float64Array::from(vec![Some(0.5), None])));
    }

    #[test]
    fn a_nullable_column_not_given_is_null() {
        let batch = baskets()
            .columns([
                ("basket", StringArray::from(vec!["tech", "tech"])),
                ("symbol", StringArray::from(vec!["AAPL", "MSFT"])),
            ])
            .unwrap()
            .provenance("b.csv", [2, 3].into_iter(), now())
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(batch, positional(Float64Array::from(vec![None, None])));
    }

    #[test]
    fn a_column_the_dataset_does_not_have_is_refused() {
        let error = message(baskets().column("weigth", Float64Array::from(vec![1.0, 2.0])));
        assert!(
            error.starts_with("dataset baskets: no column \"weigth\""),
            "{error}"
        );
        assert!(error.contains("basket, symbol, weight"), "{error}");
    }

    #[test]
    fn a_column_of_another_type_is_refused() {
        let error = message(baskets().column("weight", StringArray::from(vec!["1", "2"])));
        assert!(
            error.starts_with("dataset baskets: column weight is of type Utf8, not Float64"),
            "{error}"
        );
        // A timestamp must be in microseconds and UTC, as declared.
        for ts in [
            TimestampMicrosecondArray::from(vec![0, 0]),
            TimestampMicrosecondArray::from(vec![0, 0]).with_timezone("America/New_York"),
        ] {
            let error = message(BatchBuilder::new(&BARS, 2).column("ts", ts));
            assert!(
                error.starts_with("dataset bars: column ts is of type Timestamp"),
                "{error}"
            );
        }
        let nanoseconds = datafusion::arrow::array::TimestampNanosecondArray::from(vec![0, 0])
            .with_timezone("UTC");
        let error = message(BatchBuilder::new(&BARS, 2).column("ts", nanoseconds));
        assert!(error.contains("column ts is of type"), "{error}");
    }

    #[test]
    fn a_column_of_another_length_is_refused() {
        let error = message(baskets().column("symbol", StringArray::from(vec!["AAPL"])));
        assert_eq!(error, "dataset baskets: column symbol has 1 rows, not 2");
        let error = message(baskets().provenance("b.csv", [2, 3, 4].into_iter(), now()));
        assert_eq!(
            error,
            "dataset baskets: column source_line has 3 rows, not 2"
        );
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let error = message(
            baskets()
                .column("symbol", StringArray::from(vec!["AAPL", "MSFT"]))
                .unwrap()
                .column("symbol", StringArray::from(vec!["MSFT", "AAPL"])),
        );
        assert_eq!(error, "dataset baskets: column symbol is given twice");
    }

    #[test]
    fn nulls_in_a_column_that_is_not_nullable_are_refused() {
        let error = message(baskets().column("symbol", StringArray::from(vec![Some("A"), None])));
        assert_eq!(
            error,
            "dataset baskets: column symbol is not nullable, and 1 of its values are NULL"
        );
    }

    #[test]
    fn a_missing_column_that_is_not_nullable_is_named() {
        let error = message(
            baskets()
                .column("symbol", StringArray::from(vec!["AAPL", "MSFT"]))
                .unwrap()
                .finish(),
        );
        assert_eq!(
            error,
            "dataset baskets: no values given for columns basket, source, ingested_at (not nullable)"
        );
        let error = message(
            baskets()
                .column("symbol", StringArray::from(vec!["AAPL", "MSFT"]))
                .unwrap()
                .provenance("b.csv", [2, 3].into_iter(), now())
                .unwrap()
                .finish(),
        );
        assert_eq!(
            error,
            "dataset baskets: no values given for column basket (not nullable)"
        );
    }
}
