//! Provenance: every ingest leaves one `ingest_log` row per source and keeps every record it
//! refused in `rejected_records`, so nothing is dropped in silence.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    Array, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};

use super::datasets::{DatasetSpec, INGEST_LOG, REJECTED_RECORDS};
use super::{BatchBuilder, Lake, Transaction};
use crate::error::Result;

/// What became of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// Its rows are in the lake.
    Landed,
    /// Nothing of it landed; the message says why.
    Failed,
    /// The publisher has no file for it (a weekend or holiday).
    NotPublished,
    /// The publisher has no file for an ordinary trading day (not posted yet, or a wrong URL).
    Missing,
    /// Its content already landed under another name; nothing of it was written again.
    Duplicate,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Landed => "landed",
            SourceStatus::Failed => "failed",
            SourceStatus::NotPublished => "not_published",
            SourceStatus::Missing => "missing",
            SourceStatus::Duplicate => "duplicate",
        }
    }
}

/// A record an ingest refused, as it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub source: String,
    pub line: Option<u64>,
    pub field: Option<String>,
    pub raw: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct SourceEntry {
    source: String,
    sha256: Option<String>,
    status: SourceStatus,
    rows_written: u64,
    rows_rejected: u64,
    message: Option<String>,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
}

/// One ingest command's record of what it read and what became of it.
#[derive(Debug)]
pub struct IngestRun {
    pub id: String,
    pub dataset: &'static str,
    pub started_at: DateTime<Utc>,
    entries: Vec<SourceEntry>,
    rejected: Vec<(Rejected, DateTime<Utc>)>,
}

/// What one source's ingest reports to the run.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    pub source: String,
    pub sha256: Option<String>,
    pub status: SourceStatus,
    pub rows_written: u64,
    pub rejected: Vec<Rejected>,
    pub message: Option<String>,
    pub started_at: DateTime<Utc>,
}

impl SourceOutcome {
    /// A source that wrote nothing: it failed, or its publisher has none.
    pub fn empty(
        source: &str,
        status: SourceStatus,
        message: String,
        started_at: DateTime<Utc>,
    ) -> Self {
        SourceOutcome {
            source: source.to_string(),
            sha256: None,
            status,
            rows_written: 0,
            rejected: Vec::new(),
            message: Some(message),
            started_at,
        }
    }

    /// A source whose rows landed, with the records it refused (the message counts them).
    pub fn landed(
        source: &str,
        sha256: Option<String>,
        rows_written: u64,
        rejected: Vec<Rejected>,
        started_at: DateTime<Utc>,
    ) -> Self {
        SourceOutcome {
            source: source.to_string(),
            sha256,
            status: SourceStatus::Landed,
            rows_written,
            message: (!rejected.is_empty())
                .then(|| format!("{} records refused (see rejected_records)", rejected.len())),
            rejected,
            started_at,
        }
    }

    pub fn failed(source: &str, message: String, started_at: DateTime<Utc>) -> Self {
        Self::empty(source, SourceStatus::Failed, message, started_at)
    }

    pub fn not_published(source: &str, message: String, started_at: DateTime<Utc>) -> Self {
        Self::empty(source, SourceStatus::NotPublished, message, started_at)
    }
}

impl IngestRun {
    pub fn new(dataset: &'static DatasetSpec) -> Self {
        let started_at = Utc::now();
        let id = format!(
            "{}-{}",
            started_at.format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        IngestRun {
            id,
            dataset: dataset.name,
            started_at,
            entries: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// Adds one source's outcome and saves the run's log at once, so that every source that
    /// landed has its log row even if the process is stopped before the run ends.
    ///
    /// The source's rows and its log row become visible together: what the source's
    /// transactions staged is published with the log, or discarded when the source failed.
    pub fn record(&mut self, lake: &Lake, outcome: SourceOutcome) -> Result<()> {
        if outcome.status != SourceStatus::Landed {
            lake.discard_unpublished()?;
        }
        let now = Utc::now();
        self.entries.push(SourceEntry {
            source: outcome.source,
            sha256: outcome.sha256,
            status: outcome.status,
            rows_written: outcome.rows_written,
            rows_rejected: outcome.rejected.len() as u64,
            message: outcome.message,
            started_at: outcome.started_at,
            finished_at: now,
        });
        self.rejected
            .extend(outcome.rejected.into_iter().map(|r| (r, now)));
        self.save(lake)
    }

    /// How many sources ended with `status`.
    pub fn count(&self, status: SourceStatus) -> usize {
        self.entries.iter().filter(|e| e.status == status).count()
    }

    pub fn sources(&self) -> usize {
        self.entries.len()
    }

    /// (source, message) of every source that failed.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .filter(|e| e.status == SourceStatus::Failed)
            .map(|e| (e.source.clone(), e.message.clone().unwrap_or_default()))
            .collect()
    }

    pub fn rows_written(&self) -> u64 {
        self.entries.iter().map(|e| e.rows_written).sum()
    }

    pub fn rows_rejected(&self) -> u64 {
        self.entries.iter().map(|e| e.rows_rejected).sum()
    }

    /// Writes the run's `ingest_log` rows and its rejected records (one file each, named by the
    /// run, rewritten as the run goes on).
    fn save(&self, lake: &Lake) -> Result<()> {
        let mut transaction = Transaction::new(lake);
        if !self.entries.is_empty() {
            transaction.replace(&INGEST_LOG, None, &self.id, self.log_batch()?)?;
        }
        if !self.rejected.is_empty() {
            transaction.replace(&REJECTED_RECORDS, None, &self.id, self.rejected_batch()?)?;
        }
        transaction.commit()?;
        lake.publish()
    }

    fn log_batch(&self) -> Result<RecordBatch> {
        let e = &self.entries;
        BatchBuilder::new(&INGEST_LOG, e.len())
            .column(
                "ingest_id",
                StringArray::from(vec![self.id.as_str(); e.len()]),
            )?
            .column("dataset", StringArray::from(vec![self.dataset; e.len()]))?
            .column(
                "source",
                StringArray::from_iter_values(e.iter().map(|e| e.source.as_str())),
            )?
            .column(
                "sha256",
                StringArray::from_iter(e.iter().map(|e| e.sha256.as_deref())),
            )?
            .column(
                "status",
                StringArray::from_iter_values(e.iter().map(|e| e.status.as_str())),
            )?
            .column(
                "rows_written",
                Int64Array::from_iter_values(e.iter().map(|e| e.rows_written as i64)),
            )?
            .column(
                "rows_rejected",
                Int64Array::from_iter_values(e.iter().map(|e| e.rows_rejected as i64)),
            )?
            .column(
                "message",
                StringArray::from_iter(e.iter().map(|e| e.message.as_deref())),
            )?
            .column("started_at", timestamps(e.iter().map(|e| e.started_at)))?
            .column("finished_at", timestamps(e.iter().map(|e| e.finished_at)))?
            .finish()
    }

    fn rejected_batch(&self) -> Result<RecordBatch> {
        let r = &self.rejected;
        BatchBuilder::new(&REJECTED_RECORDS, r.len())
            .column(
                "ingest_id",
                StringArray::from(vec![self.id.as_str(); r.len()]),
            )?
            .column("dataset", StringArray::from(vec![self.dataset; r.len()]))?
            .column(
                "source",
                StringArray::from_iter_values(r.iter().map(|(r, _)| r.source.as_str())),
            )?
            .column(
                "line",
                Int64Array::from_iter(r.iter().map(|(r, _)| r.line.map(|l| l as i64))),
            )?
            .column(
                "field",
                StringArray::from_iter(r.iter().map(|(r, _)| r.field.as_deref())),
            )?
            .column(
                "raw",
                StringArray::from_iter(r.iter().map(|(r, _)| r.raw.as_deref())),
            )?
            .column(
                "reason",
                StringArray::from_iter_values(r.iter().map(|(r, _)| r.reason.as_str())),
            )?
            .column("rejected_at", timestamps(r.iter().map(|(_, at)| *at)))?
            .finish()
    }
}

/// The content each source of `dataset` holds in the lake now, by SHA-256: for every source, its
/// latest landing (a source re-ingested with new content no longer holds the old). Used to know a
/// file that already landed under another name.
pub fn landed_content(lake: &Lake, dataset: &str) -> Result<HashMap<String, Vec<String>>> {
    // source → (finished_at, sha256) of its latest landing
    let mut latest: HashMap<String, (i64, Option<String>)> = HashMap::new();
    for path in lake.dataset_files(&INGEST_LOG)? {
        let batch = super::read_parquet_file(&path)?;
        let text = |name: &str| -> Result<StringArray> {
            let column = batch.column(batch.schema().index_of(name)?);
            Ok(cast(column, &DataType::Utf8)?.as_string::<i32>().clone())
        };
        let (datasets, sources, hashes, statuses) = (
            text("dataset")?,
            text("source")?,
            text("sha256")?,
            text("status")?,
        );
        let finished = cast(
            batch.column(batch.schema().index_of("finished_at")?),
            &DataType::Int64,
        )?;
        let finished = finished.as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            if datasets.value(row) != dataset
                || statuses.value(row) != SourceStatus::Landed.as_str()
            {
                continue;
            }
            let sha = hashes.is_valid(row).then(|| hashes.value(row).to_string());
            let at = finished.value(row);
            let entry = latest
                .entry(sources.value(row).to_string())
                .or_insert((at, sha.clone()));
            if at >= entry.0 {
                *entry = (at, sha);
            }
        }
    }
    let mut by_content: HashMap<String, Vec<String>> = HashMap::new();
    for (source, (_, sha)) in latest {
        if let Some(sha) = sha {
            by_content.entry(sha).or_default().push(source);
        }
    }
    Ok(by_content)
}

/// Microsecond UTC timestamps, the lake's one timestamp type.
pub fn timestamps(values: impl Iterator<Item = DateTime<Utc>>) -> TimestampMicrosecondArray {
    TimestampMicrosecondArray::from_iter_values(values.map(|t| t.timestamp_micros()))
        .with_timezone("UTC")
}
