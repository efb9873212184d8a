//! Collectors: each reads one kind of feed (over HTTP or from local files), checks every record,
//! and lands it in the lake. A collector never queries; it only writes through `lake`.

pub mod bars;
pub mod baskets;
pub mod finra_short_volume;
pub mod http;
mod tabular;

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::lake::{IngestRun, SourceStatus};

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
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}
