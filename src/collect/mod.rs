//! Collectors: each reads one kind of feed (over HTTP or from local files), checks every record,
//! and lands it in the lake. A collector never queries; it only writes through `lake`.

pub mod fields;
pub mod finra;
pub mod http;
pub mod reference;
pub mod sec_13f;
// Public for the fuzz targets (fuzz/) only.
#[doc(hidden)]
pub mod tabular;
pub mod tapes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::lake::datasets::DatasetSpec;
use crate::lake::ingest_log::SourceOutcome;
use crate::lake::{IngestRun, Lake, Rejected, SourceStatus};

/// How a long ingest tells its front end what it is doing. The CLI draws a progress bar; a
/// scheduler may log; collectors print nothing themselves.
pub trait Progress: Send + Sync {
    /// `more` units of work (files, filings) became known.
    fn add_work(&self, _more: u64) {}
    /// Work started on `what`.
    fn working_on(&self, _what: &str) {}
    /// One unit of work is done.
    fn done_one(&self) {}
    /// Something the user should read now (a file not published, a duplicate skipped).
    fn notice(&self, _message: &str) {}
}

/// Progress that nobody watches.
pub struct NoProgress;

impl Progress for NoProgress {}

/// One remote source of a run: its URL, what progress calls it, what it means when the
/// publisher has no such file, and what the collector needs to land it (a date, a facility).
pub(crate) struct RemoteSource<T> {
    pub url: String,
    pub label: String,
    pub when_absent: (SourceStatus, String),
    pub item: T,
}

/// The fetch → land → record loop of every remote collector: fetches each source in turn through
/// the shared client, lands its bytes with `land(source, bytes, refused)` (which returns the rows
/// written and a message), and records every outcome in `run`, so that a run stopped half-way
/// keeps the log of what it landed. A host that cannot be reached, or that refuses (403/429 past
/// the retries), ends the loop with that error after it is recorded: every next request would
/// meet the same wall.
pub(crate) async fn land_remote_sources<T>(
    lake: &Lake,
    run: &mut IngestRun,
    http: &http::HttpClient,
    sources: impl IntoIterator<Item = RemoteSource<T>>,
    progress: &dyn Progress,
    land: impl FnMut(&RemoteSource<T>, &[u8], &mut Vec<Rejected>) -> Result<(u64, Option<String>)>,
) -> Result<()> {
    let fetch = async |source: &RemoteSource<T>| http.get(&source.url).await;
    land_fetched_sources(lake, run, sources, progress, fetch, land).await
}

/// [`land_remote_sources`] with the fetch given: for a source that is not one GET (a query API's
/// pages). `fetch` answers the bytes to land, or `NotFound` when the publisher has none.
pub(crate) async fn land_fetched_sources<T>(
    lake: &Lake,
    run: &mut IngestRun,
    sources: impl IntoIterator<Item = RemoteSource<T>>,
    progress: &dyn Progress,
    mut fetch: impl AsyncFnMut(&RemoteSource<T>) -> Result<http::Fetched>,
    mut land: impl FnMut(&RemoteSource<T>, &[u8], &mut Vec<Rejected>) -> Result<(u64, Option<String>)>,
) -> Result<()> {
    for source in sources {
        progress.working_on(&source.label);
        let started_at = Utc::now();
        let outcome = match fetch(&source).await {
            Ok(http::Fetched::Body(bytes)) => {
                let sha256 = Some(sha256_hex(&bytes));
                let mut rejected = Vec::new();
                match land(&source, &bytes, &mut rejected) {
                    Ok((rows, message)) => {
                        let landed =
                            SourceOutcome::landed(&source.url, sha256, rows, rejected, started_at);
                        SourceOutcome {
                            message: message.or(landed.message.clone()),
                            ..landed
                        }
                    }
                    Err(error) => SourceOutcome {
                        sha256,
                        rejected,
                        ..SourceOutcome::failed(&source.url, error.chain_line(), started_at)
                    },
                }
            }
            Ok(http::Fetched::NotFound) => {
                let (status, message) = source.when_absent.clone();
                progress.notice(&message);
                SourceOutcome::empty(&source.url, status, message, started_at)
            }
            Err(error) => {
                run.record(
                    lake,
                    SourceOutcome::failed(&source.url, error.chain_line(), started_at),
                )?;
                if error.ends_the_run() {
                    return Err(error);
                }
                progress.done_one();
                continue;
            }
        };
        run.record(lake, outcome)?;
        progress.done_one();
    }
    Ok(())
}

/// What an ingest command did, for the user.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub ingest_id: String,
    pub sources: usize,
    pub landed: usize,
    pub not_published: usize,
    /// Sources the publisher should have had (an ordinary trading day's file) but did not.
    pub missing: usize,
    /// Sources whose content had already landed under another name.
    pub duplicates: usize,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// (source, message) for every source that did not land.
    pub failures: Vec<(String, String)>,
    /// What the user should read besides the counts (days the market was closed, say).
    pub notes: Vec<String>,
}

impl IngestReport {
    pub fn of(run: &IngestRun) -> Self {
        IngestReport {
            ingest_id: run.id.clone(),
            sources: run.sources(),
            landed: run.count(SourceStatus::Landed),
            not_published: run.count(SourceStatus::NotPublished),
            missing: run.count(SourceStatus::Missing),
            duplicates: run.count(SourceStatus::Duplicate),
            rows_written: run.rows_written(),
            rows_rejected: run.rows_rejected(),
            failures: run.failures(),
            notes: Vec::new(),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// A local source's content as the checks see it: its SHA-256 once known, and the content the
/// lake holds already under other names.
pub(crate) struct SourceContent<'a> {
    pub sha256: Option<String>,
    name: &'a str,
    landed: &'a HashMap<String, Vec<String>>,
}

impl SourceContent<'_> {
    /// Fails with [`Error::DuplicateContent`] when the content already landed under another name
    /// (a copy such as `tape (1).csv`): landing it again would double its rows. Call it once the
    /// SHA-256 is known and before anything is committed.
    pub fn check_new(&self) -> Result<()> {
        match self.sha256.as_ref().and_then(|sha| self.landed.get(sha)) {
            Some(names) if !names.iter().any(|n| n == self.name) => Err(Error::DuplicateContent {
                source_name: self.name.to_string(),
                earlier: names.join(", "),
            }),
            _ => Ok(()),
        }
    }
}

/// Lands local files one by one under the lake lock and records each outcome in one ingest run.
/// `land(path, source_name, refused, content)` reads the file itself (as a stream, say), writes
/// its rows and returns how many landed; it sets the content's SHA-256 once known and calls
/// [`SourceContent::check_new`] before committing, and pushes every record it refuses to
/// `refused`, which is kept whether the file lands or not. A file whose content already landed
/// under another name is recorded as a duplicate and writes nothing.
pub(crate) fn ingest_local_paths(
    lake: &Lake,
    spec: &'static DatasetSpec,
    paths: &[PathBuf],
    mut land: impl FnMut(&Path, &str, &mut Vec<Rejected>, &mut SourceContent) -> Result<u64>,
) -> Result<IngestReport> {
    let _lock = lake.lock()?;
    let mut run = IngestRun::new(spec);
    let mut landed = crate::lake::ingest_log::landed_content(lake, spec.name)?;
    let mut notes = Vec::new();
    for path in paths {
        let started_at = Utc::now();
        let source = path.display().to_string();
        let mut rejected = Vec::new();
        let mut content = SourceContent {
            sha256: None,
            name: &source,
            landed: &landed,
        };
        let result = land(path, &source, &mut rejected, &mut content);
        let sha256 = content.sha256;
        let outcome = match result {
            Ok(rows) => {
                if let Some(sha) = &sha256 {
                    for names in landed.values_mut() {
                        names.retain(|name| name != &source);
                    }
                    landed.entry(sha.clone()).or_default().push(source.clone());
                }
                SourceOutcome::landed(&source, sha256, rows, rejected, started_at)
            }
            Err(error @ Error::DuplicateContent { .. }) => {
                notes.push(error.to_string());
                SourceOutcome {
                    sha256,
                    ..SourceOutcome::empty(
                        &source,
                        SourceStatus::Duplicate,
                        error.to_string(),
                        started_at,
                    )
                }
            }
            Err(error) => SourceOutcome {
                sha256,
                rejected,
                ..SourceOutcome::failed(&source, error.chain_line(), started_at)
            },
        };
        run.record(lake, outcome)?;
    }
    let mut report = IngestReport::of(&run);
    report.notes = notes;
    Ok(report)
}

/// [`ingest_local_paths`] for collectors that parse a file whole: `land(path, source_name, bytes,
/// refused)` gets its bytes, read once for the checksum and the parser.
pub(crate) fn ingest_local_files(
    lake: &Lake,
    spec: &'static DatasetSpec,
    paths: &[PathBuf],
    mut land: impl FnMut(&Path, &str, Vec<u8>, &mut Vec<Rejected>) -> Result<u64>,
) -> Result<IngestReport> {
    ingest_local_paths(lake, spec, paths, |path, source, refused, content| {
        // Read once: the checksum and the parser see the same bytes.
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        tabular::check_file_size(path, size)?;
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        content.sha256 = Some(sha256_hex(&bytes));
        content.check_new()?;
        land(path, source, bytes, refused)
    })
}
