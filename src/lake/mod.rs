//! Where datasets live: one root directory, `<root>/<dataset>/<partition>=<value>/<file>.parquet`.
//!
//! Only this module knows paths. Writes go through a [`Transaction`] and become visible all at
//! once when the lake publishes a new snapshot (see [`snapshot`]): a reader sees one committed
//! state from the start of a statement to its end, and a failed or killed ingest leaves the lake
//! as it was. Rows are merged on the dataset's natural key, so re-ingesting a source replaces
//! its rows.

mod batch;
pub mod datasets;
mod fault;
pub mod ingest_log;
mod location;
pub mod snapshot;
mod store;
mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use batch::{repeated_text, BatchBuilder, IntoColumn};
pub use datasets::DatasetSpec;
pub use ingest_log::{IngestRun, Rejected, SourceStatus};
pub use location::{LakeLocation, LocationOrigin, LAKE_MARKER};
pub use snapshot::{FileEntry, FileKey, PinnedSnapshot, Snapshot};
pub use store::LakeStore;
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
    /// What this process has committed but not yet published, while it holds the writer lock.
    writer: Arc<Mutex<Option<WriterState>>>,
}

/// A writer's view of the lake between two publications: the last published snapshot, the one
/// its transactions have built since, and the files that differ.
struct WriterState {
    published: Snapshot,
    working: Snapshot,
    /// Files written since the last publication (no reader knows them; a discard deletes them).
    unpublished: Vec<String>,
    /// Published files the working snapshot no longer names (retired after publication).
    replaced: Vec<String>,
    /// Whether this writer has said it is writing (see [`snapshot::mark_writing`]), and whether
    /// it left something for the next writer to tidy (a file it could not retire or delete).
    marked_writing: bool,
    left_untidy: bool,
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
            writer: Arc::new(Mutex::new(None)),
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

    /// The lake's files as this process sees them: a writer its own working snapshot, anyone
    /// else the newest published one.
    fn with_snapshot<T>(&self, read: impl FnOnce(&Snapshot) -> T) -> Result<T> {
        if let Some(state) = self.writer_state()?.as_ref() {
            return Ok(read(&state.working));
        }
        let pinned = snapshot::pin(&self.root)?;
        Ok(read(&pinned.snapshot))
    }

    fn writer_state(&self) -> Result<std::sync::MutexGuard<'_, Option<WriterState>>> {
        self.writer.lock().map_err(|_| {
            Error::io(
                &self.root,
                std::io::Error::other("a writer thread panicked"),
            )
        })
    }

    /// Pins the newest published snapshot for a reader (see [`snapshot::pin`]).
    pub fn pin_snapshot(&self) -> Result<PinnedSnapshot> {
        snapshot::pin(&self.root)
    }

    /// Every Parquet file of a dataset (in every partition), in key order.
    pub fn dataset_files(&self, spec: &DatasetSpec) -> Result<Vec<PathBuf>> {
        self.with_snapshot(|snapshot| {
            snapshot
                .dataset_files(spec.name)
                .map(|entry| self.root.join(&entry.path))
                .collect()
        })
    }

    /// Where the file of `key` is now, if the lake has it.
    pub(crate) fn file_path(&self, key: &FileKey) -> Result<Option<PathBuf>> {
        self.with_snapshot(|snapshot| snapshot.files.get(key).map(|e| self.root.join(&e.path)))
    }

    /// The file named `file_stem` in every partition of a partitioned dataset that has one:
    /// (partition value, path), in partition order.
    pub fn partition_files(
        &self,
        spec: &DatasetSpec,
        file_stem: &str,
    ) -> Result<Vec<(String, PathBuf)>> {
        writer::check_path_component(spec, "file name", file_stem)?;
        self.with_snapshot(|snapshot| {
            snapshot
                .dataset_files(spec.name)
                .filter(|entry| entry.stem == file_stem)
                .filter_map(|entry| {
                    let value = entry.partition.clone()?;
                    Some((value, self.root.join(&entry.path)))
                })
                .collect()
        })
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

    /// Takes the lake's writer lock (one writer at a time; readers never wait), finishes what a
    /// writer that died left (see [`snapshot::recover`]) and starts a working snapshot.
    /// Transactions committed while the lock is held become visible at [`Lake::publish`]; those
    /// still unpublished when it is released are discarded.
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
        let (published, first) = match snapshot::latest_id(&self.root)? {
            Some(id) => (snapshot::read(&self.root, id)?, false),
            None => {
                // A lake without snapshots: its directories become snapshot 1.
                let mut listed = snapshot::list_directories(&self.root)?;
                listed.id = 1;
                snapshot::publish(&self.root, &listed)?;
                (listed, true)
            }
        };
        // Only after a writer that did not finish (one walk of every dataset directory: 0.3 s
        // for 5,000 files, too much to pay on every ingest).
        if first || snapshot::was_writing(&self.root) {
            snapshot::recover(&self.root, &published)?;
            snapshot::clear_writing(&self.root);
        }
        *self.writer_state()? = Some(WriterState {
            working: published.clone(),
            published,
            unpublished: Vec::new(),
            replaced: Vec::new(),
            marked_writing: false,
            left_untidy: false,
        });
        Ok(LakeLock {
            lake: self.clone(),
            _file: file,
        })
    }

    pub(crate) fn holds_writer_lock(&self) -> Result<bool> {
        Ok(self.writer_state()?.is_some())
    }

    /// Writes a transaction's files under new names and adds them to the working snapshot
    /// (nobody else sees them before [`Lake::publish`]). Needs the writer lock.
    pub(crate) fn stage(
        &self,
        files: Vec<(FileKey, PathBuf, Vec<datafusion::arrow::array::RecordBatch>)>,
        removals: Vec<FileKey>,
    ) -> Result<()> {
        let mut guard = self.writer_state()?;
        let Some(state) = guard.as_mut() else {
            return Err(Error::io(
                &self.root,
                std::io::Error::other("a transaction committed without the lake's writer lock"),
            ));
        };
        if !state.marked_writing {
            snapshot::mark_writing(&self.root)?;
            state.marked_writing = true;
        }
        let version = state.published.id + 1;
        let mut written: Vec<FileEntry> = Vec::with_capacity(files.len());
        let mut directories = std::collections::BTreeSet::new();
        let outcome = (|| {
            for (key, directory, batches) in files {
                // A file rewritten within one publication gets a new name, so that a failure
                // now cannot touch the earlier version the working snapshot names.
                let mut sequence = 0;
                let path = loop {
                    let name = snapshot::versioned_name(&key.stem, version, sequence);
                    let path = directory.join(&name);
                    if !path.exists() {
                        break path;
                    }
                    sequence += 1;
                };
                writer::write_new_file(&path, &batches)?;
                written.push(snapshot::entry_for(
                    &self.root,
                    &key.dataset,
                    key.partition.clone(),
                    key.stem.clone(),
                    &path,
                )?);
                directories.insert(directory);
            }
            for directory in &directories {
                fault::step("sync a dataset directory").map_err(|e| Error::io(directory, e))?;
                snapshot::sync_directory(directory);
            }
            Ok(())
        })();
        if let Err(error) = outcome {
            for entry in &written {
                let _ = fs::remove_file(self.root.join(&entry.path));
            }
            return Err(error);
        }
        let mut gone = Vec::new();
        for entry in written {
            state.unpublished.push(entry.path.clone());
            if let Some(old) = state.working.files.insert(entry.key(), entry) {
                gone.push(old);
            }
        }
        for key in removals {
            gone.extend(state.working.files.remove(&key));
        }
        for old in gone {
            if let Some(at) = state.unpublished.iter().position(|p| p == &old.path) {
                // Written and replaced within one publication: no reader ever saw it.
                state.unpublished.swap_remove(at);
                let _ = fs::remove_file(self.root.join(&old.path));
            } else {
                state.replaced.push(old.path);
            }
        }
        Ok(())
    }

    /// Makes everything staged since the last publication visible at once: the new snapshot is
    /// published (one rename), then the files it replaced are retired and snapshots and retired
    /// files nobody reads any more are deleted.
    pub fn publish(&self) -> Result<()> {
        let mut guard = self.writer_state()?;
        let Some(state) = guard.as_mut() else {
            return Ok(());
        };
        if state.unpublished.is_empty() && state.replaced.is_empty() {
            return Ok(());
        }
        let mut next = state.working.clone();
        next.id = state.published.id + 1;
        if let Err(error) = snapshot::publish(&self.root, &next) {
            discard(&self.root, state);
            return Err(error);
        }
        // Committed. What follows tidies up; a crash here is finished by the next writer.
        let mut directories = std::collections::BTreeSet::new();
        for relative in &state.replaced {
            if snapshot::retire(&self.root, next.id, relative).is_ok() {
                if let Some(parent) = self.root.join(relative).parent() {
                    directories.insert(parent.to_path_buf());
                }
            } else {
                state.left_untidy = true;
            }
        }
        for directory in directories {
            snapshot::sync_directory(&directory);
        }
        let _ = snapshot::collect_garbage(&self.root, next.id);
        state.working = next.clone();
        state.published = next;
        state.unpublished.clear();
        state.replaced.clear();
        Ok(())
    }

    /// Forgets what was staged since the last publication (a source that failed part-way).
    pub fn discard_unpublished(&self) -> Result<()> {
        if let Some(state) = self.writer_state()?.as_mut() {
            discard(&self.root, state);
        }
        Ok(())
    }
}

fn discard(root: &Path, state: &mut WriterState) {
    for relative in state.unpublished.drain(..) {
        if fs::remove_file(root.join(relative)).is_err() {
            state.left_untidy = true;
        }
    }
    state.replaced.clear();
    state.working = state.published.clone();
}

/// Held while an ingest writes: the file lock and this process's working snapshot. Dropping it
/// discards what was not published and releases the lock.
pub struct LakeLock {
    lake: Lake,
    _file: File,
}

impl Drop for LakeLock {
    fn drop(&mut self) {
        if let Ok(mut state) = self.lake.writer.lock() {
            if let Some(state) = state.as_mut() {
                discard(&self.lake.root, state);
                if state.marked_writing && !state.left_untidy {
                    snapshot::clear_writing(&self.lake.root);
                }
            }
            *state = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::RecordBatch;

    fn commit_basket(lake: &Lake) {
        let mut transaction = Transaction::new(lake);
        let empty = RecordBatch::new_empty(datasets::BASKETS.file_schema());
        transaction
            .replace(&datasets::BASKETS, None, "sample", empty)
            .unwrap();
        transaction.commit().unwrap();
    }

    fn files_named(dir: &Path, name: &str) -> usize {
        let Ok(entries) = fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let path = e.path();
                if path.is_dir() {
                    files_named(&path, name)
                } else {
                    usize::from(e.file_name().to_string_lossy() == name)
                }
            })
            .sum()
    }

    /// A reader's snapshot keeps its files readable through later commits (moved out of the
    /// dataset, into the retired directory), and they are deleted once it lets go.
    #[test]
    fn a_pinned_snapshot_keeps_its_files_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        commit_basket(&lake);
        let reader = lake.pin_snapshot().unwrap();
        let pinned = reader
            .snapshot
            .dataset_files("baskets")
            .next()
            .unwrap()
            .clone();
        let name = pinned.path.rsplit('/').next().unwrap().to_string();
        commit_basket(&lake);
        commit_basket(&lake);
        assert!(
            !dir.path().join(&pinned.path).exists(),
            "out of the dataset"
        );
        let retired = snapshot::retired_dir(dir.path());
        assert_eq!(files_named(&retired, &name), 1, "kept for the reader");
        assert_eq!(lake.dataset_files(&datasets::BASKETS).unwrap().len(), 1);
        drop(reader);
        commit_basket(&lake);
        assert_eq!(files_named(&retired, &name), 0, "deleted once released");
        let snapshots = fs::read_dir(dir.path().join(".whalewatch/snapshots"))
            .unwrap()
            .count();
        assert_eq!(snapshots, 1, "only the newest snapshot is left");
    }

    /// What a writer killed mid-commit leaves is put right by the next one: a file written for
    /// a snapshot never published is deleted, one the last snapshot replaced is retired, and a
    /// temporary file goes.
    #[test]
    fn the_next_writer_finishes_what_a_dead_one_left() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        commit_basket(&lake);
        let live = lake.dataset_files(&datasets::BASKETS).unwrap();
        let baskets = dir.path().join("baskets");
        fs::copy(&live[0], baskets.join("sample.v99.parquet")).unwrap();
        fs::copy(&live[0], baskets.join("replaced.parquet")).unwrap();
        fs::write(baskets.join(".sample.v3.parquet.tmp-1-2"), b"half").unwrap();
        // As a writer does before it stages anything.
        snapshot::mark_writing(dir.path()).unwrap();
        drop(lake.lock().unwrap());
        assert!(!snapshot::was_writing(dir.path()), "tidy again");
        let mut left: Vec<_> = fs::read_dir(&baskets)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        left.sort();
        assert_eq!(left, live);
        let retired = snapshot::retired_dir(dir.path());
        assert_eq!(files_named(&retired, "replaced.parquet"), 1);
        assert_eq!(files_named(&retired, "sample.v99.parquet"), 0);
    }
}
