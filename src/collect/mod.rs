//! Collectors: each reads one kind of feed (over HTTP or from local files), checks every record,
//! and lands it in the lake. A collector never queries; it only writes through `lake`.

pub mod bars;
pub mod baskets;
pub mod cboe_put_call;
pub mod edgar_index;
pub mod equity_trades;
pub mod finra_ats;
pub mod finra_short_volume;
pub mod http;
pub mod manager_types;
pub mod option_chains;
pub mod option_trades;
pub mod sec_13f;
pub mod sec_13f_bulk;
pub mod securities;
mod tabular;

use std::fmt;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::lake::datasets::DatasetSpec;
use crate::lake::ingest_log::{timestamps, SourceOutcome};
use crate::lake::{IngestRun, Lake, Rejected, SourceStatus};

/// Where a feed's bytes came from.
#[derive(Debug, Clone)]
pub enum Source {
    Url(String),
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// What an ingest command did, for the user.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub ingest_id: String,
    pub sources: usize,
    pub landed: usize,
    pub not_published: usize,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// (source, message) for every source that did not land.
    pub failures: Vec<(String, String)>,
}

impl IngestReport {
    pub fn of(run: &IngestRun) -> Self {
        IngestReport {
            ingest_id: run.id.clone(),
            sources: run.sources(),
            landed: run.count(SourceStatus::Landed),
            not_published: run.count(SourceStatus::NotPublished),
            rows_written: run.rows_written(),
            rows_rejected: run.rows_rejected(),
            failures: run.failures(),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `text` `n` times as a column, built as two buffers rather than `n` strings (a source name
/// repeated down every row of a batch).
pub(crate) fn repeated_text(text: &str, n: usize) -> StringArray {
    let offsets =
        datafusion::arrow::buffer::OffsetBuffer::from_lengths(std::iter::repeat_n(text.len(), n));
    StringArray::new(offsets, text.repeat(n).into_bytes().into(), None)
}

/// `columns` followed by the provenance columns every dataset ends with: the source, each row's
/// line in it, and the time of the ingest.
pub(crate) fn with_provenance(
    mut columns: Vec<ArrayRef>,
    source: &str,
    lines: impl Iterator<Item = u64>,
    now: DateTime<Utc>,
) -> Vec<ArrayRef> {
    let lines: Int64Array = lines.map(|line| line as i64).collect();
    let n = lines.len();
    columns.push(Arc::new(repeated_text(source, n)));
    columns.push(Arc::new(lines));
    columns.push(Arc::new(timestamps(std::iter::repeat_n(now, n))));
    columns
}

pub(crate) fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// The date `days` after 1970-01-01: the inverse of [`days_since_epoch`].
pub(crate) fn date_from_days(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(days as i64)
}

/// A reader that hashes what passes through it (SHA-256), for sources read as a stream.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: std::io::Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Reads what is left, so that the digest covers the whole input, and returns it in hex.
    pub(crate) fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Lands local files one by one under the lake lock and records each outcome in one ingest run.
/// `land(path, source_name, refused, sha256)` reads the file itself (as a stream, say), writes its
/// rows and returns how many landed; it sets the file's SHA-256 once known and pushes every record
/// it refuses to `refused`, which is kept whether the file lands or not.
pub(crate) fn ingest_local_paths(
    lake: &Lake,
    spec: &'static DatasetSpec,
    paths: &[PathBuf],
    mut land: impl FnMut(&Path, &str, &mut Vec<Rejected>, &mut Option<String>) -> Result<u64>,
) -> Result<IngestReport> {
    let _lock = lake.lock()?;
    let mut run = IngestRun::new(spec);
    for path in paths {
        let started_at = Utc::now();
        let source = path.display().to_string();
        let (mut rejected, mut sha256) = (Vec::new(), None);
        let outcome = match land(path, &source, &mut rejected, &mut sha256) {
            Ok(rows) => SourceOutcome::landed(&source, sha256, rows, rejected, started_at),
            Err(error) => SourceOutcome {
                sha256,
                rejected,
                ..SourceOutcome::failed(&source, error.to_string(), started_at)
            },
        };
        run.record(lake, outcome)?;
    }
    Ok(IngestReport::of(&run))
}

/// [`ingest_local_paths`] for collectors that parse a file whole: `land(path, source_name, bytes,
/// refused)` gets its bytes, read once for the checksum and the parser.
pub(crate) fn ingest_local_files(
    lake: &Lake,
    spec: &'static DatasetSpec,
    paths: &[PathBuf],
    mut land: impl FnMut(&Path, &str, Vec<u8>, &mut Vec<Rejected>) -> Result<u64>,
) -> Result<IngestReport> {
    ingest_local_paths(lake, spec, paths, |path, source, refused, sha256| {
        // Read once: the checksum and the parser see the same bytes.
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        *sha256 = Some(sha256_hex(&bytes));
        land(path, source, bytes, refused)
    })
}
