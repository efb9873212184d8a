//! Where datasets live: one root directory, `<root>/<dataset>/<partition>=<value>/<file>.parquet`.
//!
//! Only this module knows paths. Writes go through a [`Transaction`]: new files are written
//! under temporary names that no reader lists, synced, then renamed over their targets, so a
//! reader sees a whole file or none and a failed or killed ingest leaves the lake as it was.
//! Rows are merged on the dataset's natural key, so re-ingesting a source replaces its rows.

pub mod datasets;
pub mod ingest_log;
mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub use datasets::DatasetSpec;
pub use ingest_log::{IngestRun, Rejected, SourceStatus};
pub use writer::{read_parquet_file, Transaction};

use crate::error::{Error, Result};

/// Temporary files carry this marker; they never end in `.parquet`, so no table lists them.
const TEMP_MARKER: &str = ".tmp-";

#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
}

impl Lake {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Lake { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dataset_dir(&self, spec: &DatasetSpec) -> PathBuf {
        self.root.join(spec.name)
    }

    /// The directory of one partition (the dataset's directory when it has no partition column).
    pub fn partition_dir(&self, spec: &DatasetSpec, partition_value: Option<&str>) -> PathBuf {
        match (&spec.partition, partition_value) {
            (Some((column, _)), Some(value)) => {
                self.dataset_dir(spec).join(format!("{column}={value}"))
            }
            _ => self.dataset_dir(spec),
        }
    }

    /// Takes the lake's writer lock (one ingest at a time; readers never wait) and clears
    /// temporary files that a killed ingest left behind.
    pub fn lock(&self) -> Result<LakeLock> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(".whalewatch.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        if file.try_lock().is_err() {
            eprintln!(
                "waiting for another whalewatch ingest to finish with {}",
                self.root.display()
            );
            file.lock().map_err(|e| Error::io(&path, e))?;
        }
        self.remove_stale_temp_files()?;
        Ok(LakeLock { _file: file })
    }

    fn remove_stale_temp_files(&self) -> Result<()> {
        for spec in datasets::ALL {
            let dir = self.dataset_dir(spec);
            remove_temp_files_under(&dir)?;
        }
        Ok(())
    }
}

fn remove_temp_files_under(dir: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_temp_files_under(&path)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(TEMP_MARKER))
        {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Held while an ingest writes; released on drop.
pub struct LakeLock {
    _file: File,
}
