//! The atomic, idempotent Parquet writer.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{
    concat_batches, lexsort_to_indices, take_record_batch, LexicographicalComparator, SortColumn,
};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
};
use datafusion::parquet::arrow::{
    add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter, ArrowWriter,
};
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::file::writer::SerializedFileWriter;
use datafusion::parquet::schema::types::ColumnPath;

use super::{fault, DatasetSpec, FileKey, Lake, TEMP_MARKER};
use crate::error::{Error, Result};

/// A set of file writes that land together, or not at all.
///
/// Nothing touches the lake before [`Transaction::commit`]: every file is built in memory, then
/// written under a new name and added to the writer's working snapshot, which readers see when
/// the lake publishes it (at once, when the transaction is committed without the writer lock
/// held; at [`Lake::publish`] for an ingest that holds it). Dropping an uncommitted transaction
/// leaves the lake exactly as it was.
pub struct Transaction<'a> {
    lake: &'a Lake,
    /// Each file's directory and rows, as one batch or as consecutive ones (a tape parsed in
    /// pieces).
    files: BTreeMap<FileKey, (PathBuf, Vec<RecordBatch>)>,
    /// Files to drop from the lake.
    removals: Vec<FileKey>,
}

impl<'a> Transaction<'a> {
    pub fn new(lake: &'a Lake) -> Self {
        Transaction {
            lake,
            files: BTreeMap::new(),
            removals: Vec::new(),
        }
    }

    /// The key and directory of one file of the dataset. Its stem and partition value often come
    /// from a feed (an accession number, a file's name): each must be one plain path component,
    /// or the write is refused before anything touches the disk.
    fn file_key(
        &self,
        spec: &DatasetSpec,
        partition_value: Option<&str>,
        file_stem: &str,
    ) -> Result<(FileKey, PathBuf)> {
        check_path_component(spec, "file name", file_stem)?;
        if let Some(value) = partition_value {
            check_path_component(spec, "partition value", value)?;
        }
        let key = FileKey {
            dataset: spec.name.to_string(),
            partition: partition_value
                .filter(|_| spec.partition.is_some())
                .map(str::to_string),
            stem: file_stem.to_string(),
        };
        Ok((key, self.lake.partition_dir(spec, partition_value)))
    }

    /// The rows the file of `key` holds so far: this transaction's, or the lake's.
    fn existing_rows(&mut self, spec: &DatasetSpec, key: &FileKey) -> Result<Option<RecordBatch>> {
        Ok(match self.files.remove(key) {
            Some((_, pending)) => Some(concat_batches(&spec.file_schema(), &pending)?),
            None => match self.lake.file_path(key)? {
                Some(path) => Some(read_parquet_file(&path)?),
                None => None,
            },
        })
    }

    /// Merges `batch` into one file of the dataset: existing rows whose natural key appears in
    /// `batch` are replaced, the others kept. Returns the file's row count after the merge.
    pub fn upsert(
        &mut self,
        spec: &DatasetSpec,
        partition_value: Option<&str>,
        file_stem: &str,
        batch: RecordBatch,
    ) -> Result<usize> {
        let (key, directory) = self.file_key(spec, partition_value, file_stem)?;
        let existing = self.existing_rows(spec, &key)?;
        let merged = merge_on_key(existing, batch, spec)?;
        let rows = merged.num_rows();
        self.files.insert(key, (directory, vec![merged]));
        Ok(rows)
    }

    /// Replaces one file of the dataset with `batch` (sorted by the dataset's sort order).
    pub fn replace(
        &mut self,
        spec: &DatasetSpec,
        partition_value: Option<&str>,
        file_stem: &str,
        batch: RecordBatch,
    ) -> Result<()> {
        let (key, directory) = self.file_key(spec, partition_value, file_stem)?;
        let sorted = sort_batch(&batch, spec)?;
        self.files.insert(key, (directory, vec![sorted]));
        Ok(())
    }

    /// Replaces one file of the dataset with `batches`, whose rows the caller has read in the
    /// dataset's sort order (a tape checked row by row as it was parsed, in pieces): they are
    /// neither compared again nor copied into one batch.
    pub fn replace_sorted(
        &mut self,
        spec: &DatasetSpec,
        partition_value: Option<&str>,
        file_stem: &str,
        batches: Vec<RecordBatch>,
    ) -> Result<()> {
        let (key, directory) = self.file_key(spec, partition_value, file_stem)?;
        self.files.insert(key, (directory, batches));
        Ok(())
    }

    /// The key of the file named `file_stem` in partition `value`.
    fn partition_key(spec: &DatasetSpec, value: &str, file_stem: &str) -> FileKey {
        FileKey {
            dataset: spec.name.to_string(),
            partition: Some(value.to_string()),
            stem: file_stem.to_string(),
        }
    }

    /// Removes, at commit, every file named `file_stem` in the dataset's partitions other than
    /// those this transaction writes: for files named by a unique id (a 13F accession) whose
    /// partition changed. Returns the partition values it found the file in.
    pub fn remove_from_other_partitions(
        &mut self,
        spec: &DatasetSpec,
        file_stem: &str,
    ) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for (value, _) in self.lake.partition_files(spec, file_stem)? {
            let key = Self::partition_key(spec, &value, file_stem);
            if !self.files.contains_key(&key) {
                self.removals.push(key);
                found.push(value);
            }
        }
        Ok(found)
    }

    /// Removes, at commit, the files named `file_stem` in the dataset's other partitions that
    /// `source` wrote (their `source` column says so): a source re-ingested without a day it used
    /// to have leaves no rows of that day behind, while a file of the same name from elsewhere
    /// keeps its days. Call it after staging the source's new files.
    pub fn remove_other_partitions_of(
        &mut self,
        spec: &DatasetSpec,
        file_stem: &str,
        source: &str,
    ) -> Result<()> {
        for (value, path) in self.lake.partition_files(spec, file_stem)? {
            let key = Self::partition_key(spec, &value, file_stem);
            if !self.files.contains_key(&key) && first_source(&path)?.as_deref() == Some(source) {
                self.removals.push(key);
            }
        }
        Ok(())
    }

    /// Removes, at commit, the rows of one file whose `column` (read as text) is one of `values`
    /// (the file as this transaction has it so far, or as the lake has it). Returns how many rows
    /// go; a file without such rows is left alone.
    pub fn delete_rows(
        &mut self,
        spec: &DatasetSpec,
        partition_value: Option<&str>,
        file_stem: &str,
        column: &str,
        values: &HashSet<&str>,
    ) -> Result<usize> {
        let (key, directory) = self.file_key(spec, partition_value, file_stem)?;
        let Some(existing) = self.existing_rows(spec, &key)? else {
            return Ok(0);
        };
        let text = datafusion::arrow::compute::cast(
            existing.column(existing.schema().index_of(column)?),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )?;
        let keep = datafusion::arrow::array::BooleanArray::from_iter(
            text.as_string::<i32>()
                .iter()
                .map(|value| Some(!value.is_some_and(|v| values.contains(v)))),
        );
        let removed = existing.num_rows() - keep.true_count();
        let kept = if removed == 0 {
            existing
        } else {
            datafusion::arrow::compute::filter_record_batch(&existing, &keep)?
        };
        self.files.insert(key, (directory, vec![kept]));
        Ok(removed)
    }

    /// [`Transaction::delete_rows`] in the file named `file_stem` of every partition of the
    /// dataset.
    pub fn delete_rows_in_every_partition(
        &mut self,
        spec: &DatasetSpec,
        file_stem: &str,
        column: &str,
        values: &HashSet<&str>,
    ) -> Result<usize> {
        let mut removed = 0;
        for (partition, _) in self.lake.partition_files(spec, file_stem)? {
            removed += self.delete_rows(spec, Some(&partition), file_stem, column, values)?;
        }
        Ok(removed)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.removals.is_empty()
    }

    /// Writes every file under a new name and adds the lot to the writer's working snapshot;
    /// without the writer lock held, takes it and publishes at once.
    pub fn commit(self) -> Result<()> {
        let temporary_lock = if self.lake.holds_writer_lock()? {
            None
        } else {
            Some(self.lake.lock()?)
        };
        let files = self
            .files
            .into_iter()
            .map(|(key, (directory, batches))| (key, directory, batches))
            .collect();
        self.lake.stage(files, self.removals)?;
        if temporary_lock.is_some() {
            self.lake.publish()?;
        }
        Ok(())
    }
}

/// Writes a file that no snapshot names yet: under a temporary name (no reader lists it),
/// synced, then renamed to `path`.
pub(super) fn write_new_file(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let temp = temp_path(path);
    let written = (|| {
        fault::step("write a new file").map_err(|e| Error::io(path, e))?;
        write_parquet_file(&temp, batches)?;
        fault::step("rename a new file into place").map_err(|e| Error::io(path, e))?;
        fs::rename(&temp, path).map_err(|e| Error::io(path, e))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// A value that becomes one component of a lake path must stay one: not empty, no `/`, `\\` or
/// NUL, not starting with a dot (no `..`, no hidden or temporary names), at most 200 bytes. Other
/// characters (a basket called "S&P 500") are kept as they are.
pub(super) fn check_path_component(spec: &DatasetSpec, what: &str, value: &str) -> Result<()> {
    let plain = !value.is_empty()
        && value.len() <= 200
        && !value.starts_with('.')
        && !value.contains(['/', '\\', '\0']);
    if plain {
        Ok(())
    } else {
        Err(Error::Batch {
            dataset: spec.name,
            message: format!(
                "{what} {value:?} cannot name a file in the lake (it would not be one plain name: \
                 no '/', '\\' or NUL, not starting with '.'); nothing was written"
            ),
        })
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}{TEMP_MARKER}{}-{nanos}",
        std::process::id()
    ))
}

/// The `source` column's first value in a lake file, reading that column of one row only.
fn first_source(path: &Path) -> Result<Option<String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let Some(index) = builder
        .schema()
        .fields()
        .iter()
        .position(|f| f.name() == "source")
    else {
        return Ok(None);
    };
    let mask = datafusion::parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [index]);
    let mut reader = builder
        .with_projection(mask)
        .with_batch_size(1)
        .with_limit(1)
        .build()
        .map_err(parquet_error)?;
    let Some(batch) = reader.next().transpose()? else {
        return Ok(None);
    };
    let column = datafusion::arrow::compute::cast(
        batch.column(0),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )?;
    let values = column.as_string::<i32>();
    Ok((values.len() > 0 && values.is_valid(0)).then(|| values.value(0).to_string()))
}

/// Reads a whole Parquet file into one batch.
pub fn read_parquet_file(path: &Path) -> Result<RecordBatch> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(parquet_error)?;
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok(concat_batches(&schema, &batches)?)
}

/// Writes one file from its batches, in order (at least one; all of one schema).
fn write_parquet_file(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let Some(batch) = batches.first() else {
        return Err(Error::io(
            path,
            std::io::Error::other("a file needs at least one batch"),
        ));
    };
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut properties = WriterProperties::builder().set_compression(Compression::SNAPPY);
    for (index, field) in batch.schema().fields().iter().enumerate() {
        if mostly_distinct(batch.column(index).as_ref()) {
            // A dictionary as large as the column is decoded twice for nothing (a daily
            // file lists each symbol once): plain encoding reads 5-7 % faster there (benches/RESULTS.md).
            properties = properties
                .set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    let mut properties = properties.build();
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    if rows < PARALLEL_ENCODING_ROWS {
        let mut writer =
            ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(parquet_error)?;
        for batch in batches {
            writer.write(batch).map_err(parquet_error)?;
        }
        let file = writer.into_inner().map_err(parquet_error)?;
        file.sync_all().map_err(|e| Error::io(path, e))?;
        return Ok(());
    }
    // A large file (a bulk data set's quarter): its columns are encoded on two threads, a row
    // group at a time, with the Arrow schema stored as ArrowWriter stores it.
    let schema = batch.schema();
    let parquet_schema = ArrowSchemaConverter::new()
        .with_coerce_types(properties.coerce_types())
        .convert(&schema)
        .map_err(parquet_error)?;
    add_encoded_arrow_schema_to_metadata(&schema, &mut properties);
    let row_group_rows = properties
        .max_row_group_row_count()
        .unwrap_or(1 << 20)
        .max(1);
    let mut writer =
        SerializedFileWriter::new(file, parquet_schema.root_schema_ptr(), Arc::new(properties))
            .map_err(parquet_error)?;
    let factory = ArrowRowGroupWriterFactory::new(&writer, Arc::clone(&schema));
    // Row groups of row_group_rows, each within one batch.
    let slices = batches.iter().flat_map(|batch| {
        (0..batch.num_rows())
            .step_by(row_group_rows)
            .map(move |offset| batch.slice(offset, row_group_rows.min(batch.num_rows() - offset)))
    });
    for (row_group, slice) in slices.enumerate() {
        let mut leaves = Vec::new();
        for (array, field) in slice.columns().iter().zip(schema.fields()) {
            leaves.extend(compute_leaves(field, array).map_err(parquet_error)?);
        }
        let writers = factory
            .create_column_writers(row_group)
            .map_err(parquet_error)?;
        // Two lanes, the columns dealt alternately so that each gets its share of strings.
        let (even, odd): (Vec<_>, Vec<_>) = writers
            .into_iter()
            .zip(leaves)
            .enumerate()
            .map(|(i, (writer, leaf))| (i, writer, leaf))
            .partition(|(i, _, _)| i % 2 == 0);
        let encode = |lane: Vec<(usize, ArrowColumnWriter, ArrowLeafColumn)>| {
            lane.into_iter()
                .map(|(i, mut writer, leaf)| {
                    writer.write(&leaf)?;
                    Ok((i, writer.close()?))
                })
                .collect::<std::result::Result<Vec<_>, datafusion::parquet::errors::ParquetError>>()
        };
        let (even, odd) = std::thread::scope(|scope| {
            let odd = scope.spawn(|| encode(odd));
            let even = encode(even);
            (even, odd.join())
        });
        let odd =
            odd.map_err(|_| Error::io(path, std::io::Error::other("a parquet encoder panicked")))?;
        let mut chunks: Vec<_> = even
            .map_err(parquet_error)?
            .into_iter()
            .chain(odd.map_err(parquet_error)?)
            .collect();
        chunks.sort_by_key(|(i, _)| *i);
        let mut row_group_writer = writer.next_row_group().map_err(parquet_error)?;
        for (_, chunk) in chunks {
            chunk
                .append_to_row_group(&mut row_group_writer)
                .map_err(parquet_error)?;
        }
        row_group_writer.close().map_err(parquet_error)?;
    }
    let file = writer.into_inner().map_err(parquet_error)?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// From this many rows a file's columns are encoded on two threads.
const PARALLEL_ENCODING_ROWS: usize = 500_000;

/// A string column of some size in which most values are distinct, judged on up to 65,536 values
/// spread over the column (hashing every value of a 5 M-row column costs a second for nothing).
fn mostly_distinct(column: &dyn Array) -> bool {
    let Some(strings) = column.as_string_opt::<i32>() else {
        return false;
    };
    if strings.len() < 1024 {
        return false;
    }
    let step = strings.len().div_ceil(65_536);
    let sample: Vec<Option<&str>> = strings.iter().step_by(step).collect();
    let distinct: HashSet<&str> = sample.iter().flatten().copied().collect();
    distinct.len() * 2 > sample.len()
}

fn column_indices(batch: &RecordBatch, names: &[&str]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|name| Ok(batch.schema().index_of(name)?))
        .collect()
}

/// Sorts a batch by the dataset's sort order (stable, so equal keys keep their input order).
fn sort_batch(batch: &RecordBatch, spec: &DatasetSpec) -> Result<RecordBatch> {
    if spec.sort_order.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let columns: Vec<SortColumn> = column_indices(batch, spec.sort_order)?
        .into_iter()
        .map(|i| SortColumn {
            values: Arc::clone(batch.column(i)),
            options: None,
        })
        .collect();
    // A batch that arrives in order (a bulk collector sorts on cheaper keys) is not copied again.
    let comparator = LexicographicalComparator::try_new(&columns)?;
    if (1..batch.num_rows()).all(|i| comparator.compare(i - 1, i) != std::cmp::Ordering::Greater) {
        return Ok(batch.clone());
    }
    let indices = lexsort_to_indices(&columns, None)?;
    Ok(take_record_batch(batch, &indices)?)
}

/// Existing rows whose natural key is in `new` give way to the new rows; within `new` the last
/// row of a key wins. The result is sorted by the dataset's sort order.
fn merge_on_key(
    existing: Option<RecordBatch>,
    new: RecordBatch,
    spec: &DatasetSpec,
) -> Result<RecordBatch> {
    let key_columns = column_indices(&new, spec.natural_key)?;
    let fields = key_columns
        .iter()
        .map(|&i| SortField::new(new.schema().field(i).data_type().clone()))
        .collect();
    let converter = RowConverter::new(fields)?;
    let keys_of = |batch: &RecordBatch| {
        let columns: Vec<_> = key_columns
            .iter()
            .map(|&i| Arc::clone(batch.column(i)))
            .collect();
        converter.convert_columns(&columns)
    };

    let new_keys = keys_of(&new)?;
    let mut seen = HashSet::with_capacity(new.num_rows());
    let mut keep_new = Vec::with_capacity(new.num_rows());
    for row in (0..new.num_rows()).rev() {
        if seen.insert(new_keys.row(row)) {
            keep_new.push(row as u32);
        }
    }
    keep_new.reverse();
    let new = if keep_new.len() == new.num_rows() {
        new.clone()
    } else {
        take_record_batch(&new, &UInt32Array::from(keep_new))?
    };

    let combined = match existing {
        None => new,
        Some(existing) => {
            let existing_keys = keys_of(&existing)?;
            let keep_existing: UInt32Array = (0..existing.num_rows())
                .filter(|&row| !seen.contains(&existing_keys.row(row)))
                .map(|row| row as u32)
                .collect();
            let kept = take_record_batch(&existing, &keep_existing)?;
            concat_batches(&new.schema(), [&kept, &new])?
        }
    };
    sort_batch(&combined, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_from_a_feed_cannot_leave_its_partition() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let transaction = Transaction::new(&lake);
        let spec = &super::super::datasets::HOLDINGS_13F;
        for bad in [
            "../../short_volume/date=2021-08-02/CNMS",
            "../../../../elsewhere/x",
            "a/b",
            "..",
            ".hidden",
            "",
            "nul\0byte",
        ] {
            let error = transaction
                .file_key(spec, Some("2024-12-31"), bad)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("cannot name a file in the lake"),
                "{bad:?}: {error}"
            );
            assert!(
                transaction.file_key(spec, Some(bad), "filings").is_err(),
                "{bad:?}"
            );
        }
        let (key, directory) = transaction
            .file_key(spec, Some("2024-12-31"), "0001140361-23-013281")
            .unwrap();
        assert_eq!(key.stem, "0001140361-23-013281");
        assert!(directory.ends_with("holdings_13f/report_period=2024-12-31"));
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "nothing written"
        );
    }
    use datafusion::arrow::array::{Float64Array, StringArray, TimestampMicrosecondArray};

    /// A file large enough for the two-lane encoder (and more than one row group) reads back as
    /// the batch it was written from, types and time zones included.
    #[test]
    fn large_files_encoded_on_two_threads_read_back_whole() {
        let rows = PARALLEL_ENCODING_ROWS + (1 << 20);
        let batch = RecordBatch::try_from_iter([
            (
                "name",
                Arc::new(StringArray::from_iter_values(
                    (0..rows).map(|i| format!("issuer {}", i % 977)),
                )) as Arc<dyn Array>,
            ),
            (
                "value",
                Arc::new(Float64Array::from_iter(
                    (0..rows).map(|i| (i % 5 != 0).then_some(i as f64 * 0.5)),
                )),
            ),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values((0..rows).map(|i| i as i64))
                        .with_timezone("UTC"),
                ),
            ),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.parquet");
        write_parquet_file(&path, std::slice::from_ref(&batch)).unwrap();
        let file = File::open(&path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
        assert_eq!(read_parquet_file(&path).unwrap(), batch);
    }
}
