//! Where datasets live: one root directory, `<root>/<dataset>/<partition>=<value>/<file>.parquet`.
//!
//! Only this module knows paths. Writes go through a [`Transaction`]: new files are written
//! under temporary names that no reader lists, synced, then renamed over their targets, so a
//! reader sees a whole file or none and a failed or killed ingest leaves the lake as it was.
//! Rows are merged on the dataset's natural key, so re-ingesting a source replaces its rows.

mod batch;
pub mod datasets;
pub mod ingest_log;
mod location;
mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub use batch::{repeated_text, BatchBuilder, IntoColumn};
pub use datasets::DatasetSpec;
pub use ingest_log::{IngestRun, Rejected, SourceStatus};
pub use location::{LakeLocation, LocationOrigin, LAKE_MARKER};
pub use writer::{read_parquet_file, Transaction};

use crate::error::{Error, Result};

/// Temporary files carry this marker; they never end in `.parquet`, so no table lists them.
const TEMP_MARKER: &str = ".tmp-";

/// The partition value of a date column (`date=2021-08-02`): the one place a date becomes part
/// of a path.
pub fn date_partition(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// What a front end asked to be called with the lake's root while an ingest waits for the lock.
type LockWaitNotice = std::sync::Arc<dyn Fn(&Path) + Send + Sync>;

#[derive(Clone)]
pub struct Lake {
    root: PathBuf,
    /// Called when an ingest must wait for another one's lock (a front end says so; the lake
    /// itself prints nothing).
    on_lock_wait: Option<LockWaitNotice>,
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lake").field("root", &self.root).finish()
    }
}

impl Lake {
    /// A lake at `root`, unchecked: for code that has just made the directory (tests, `create`).
    /// Front ends open a lake with [`Lake::open`] or [`Lake::open_or_create`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Lake {
            root: root.into(),
            on_lock_wait: None,
        }
    }

    /// The same lake, calling `notice` whenever an ingest has to wait for another one's lock.
    pub fn with_lock_wait_notice(mut self, notice: impl Fn(&Path) + Send + Sync + 'static) -> Self {
        self.on_lock_wait = Some(std::sync::Arc::new(notice));
        self
    }

    /// The lake at `location`, which must exist and hold a lake: reading a wrong path would
    /// otherwise answer every query with empty tables.
    pub fn open(location: &LakeLocation) -> Result<Lake> {
        Ok(Lake::new(location.existing_lake_directory()?))
    }

    /// The lake at `location`, created (with its marker) where there is none yet: for ingests.
    pub fn open_or_create(location: &LakeLocation) -> Result<Lake> {
        let lake = Lake::new(location.local_path()?);
        lake.mark()?;
        Ok(lake)
    }

    /// Creates the directory and its lake marker (nothing else; datasets appear as they land).
    pub fn mark(&self) -> Result<()> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let marker = self.root.join(LAKE_MARKER);
        if !marker.exists() {
            fs::write(&marker, "whalewatch lake\n").map_err(|e| Error::io(&marker, e))?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dataset_dir(&self, spec: &DatasetSpec) -> PathBuf {
        self.root.join(spec.name)
    }

    /// Every Parquet file of a dataset (in every partition), in name order.
    pub fn dataset_files(&self, spec: &DatasetSpec) -> Result<Vec<PathBuf>> {
        fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
            let Ok(entries) = fs::read_dir(dir) else {
                return Ok(());
            };
            for entry in entries {
                let path = entry.map_err(|e| Error::io(dir, e))?.path();
                if path.is_dir() {
                    walk(&path, files)?;
                } else if path.extension().is_some_and(|e| e == "parquet") {
                    files.push(path);
                }
            }
            Ok(())
        }
        let mut files = Vec::new();
        walk(&self.dataset_dir(spec), &mut files)?;
        files.sort();
        Ok(files)
    }

    /// The file named `file_stem` in every partition of a partitioned dataset that has one:
    /// (partition value, path), in partition order.
    pub fn partition_files(
        &self,
        spec: &DatasetSpec,
        file_stem: &str,
    ) -> Result<Vec<(String, PathBuf)>> {
        writer::check_path_component(spec, "file name", file_stem)?;
        let dir = self.dataset_dir(spec);
        let Some((column, _)) = &spec.partition else {
            return Ok(Vec::new());
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut files = Vec::new();
        for entry in entries {
            let partition = entry.map_err(|e| Error::io(&dir, e))?.path();
            let file = partition.join(format!("{file_stem}.parquet"));
            let value = partition
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&format!("{column}=")))
                .map(str::to_string);
            if let (Some(value), true) = (value, file.is_file()) {
                files.push((value, file));
            }
        }
        files.sort();
        Ok(files)
    }

    /// Reads the file named `file_stem` of every partition (see [`Lake::partition_files`]).
    pub fn read_partition_files(
        &self,
        spec: &DatasetSpec,
        file_stem: &str,
    ) -> Result<Vec<(String, datafusion::arrow::array::RecordBatch)>> {
        self.partition_files(spec, file_stem)?
            .into_iter()
            .map(|(value, path)| Ok((value, read_parquet_file(&path)?)))
            .collect()
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
        self.mark()?;
        let path = self.root.join(".whalewatch.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        if file.try_lock().is_err() {
            if let Some(notice) = &self.on_lock_wait {
                notice(&self.root);
            }
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
