//! Snapshots: the list of files that make up the lake, committed all at once.
//!
//! A lake file is never rewritten: each commit writes its files under new names
//! (`CNMS.v42.parquet`), then publishes a snapshot — one JSON file naming every live file of
//! every dataset — by renaming it into `.whalewatch/snapshots/`. That rename is the commit:
//! before it readers see the previous snapshot, after it the new one, whatever number of files
//! and datasets the commit touched. Only then are the files the commit replaced moved out of the
//! dataset directories into `.whalewatch/retired/<snapshot>/`, so that a plain Parquet reader
//! (DuckDB's `read_parquet('lake/bars/**/*.parquet', hive_partitioning = true)`) sees each row
//! once when the commit has finished.
//!
//! A whalewatch reader pins the newest snapshot for a whole statement: it holds a shared lock
//! on that snapshot's file, and reads a file that a later commit retired from its retired place.
//! A writer deletes an older snapshot only when it can lock it exclusively (nobody reads it),
//! and a retired directory only when no snapshot older than it is left.
//!
//! After a crash the next writer finishes the job: files no snapshot names are removed (never
//! published) or retired (published before, replaced by the last snapshot). A lake written by
//! an earlier whalewatch, without snapshots, is read by listing its directories; its first
//! writer publishes that listing as snapshot 1.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::datasets;
use super::fault;
use super::TEMP_MARKER;
use crate::error::{Error, Result};

/// The lake's own state, beside the datasets (a leading dot: no dataset listing includes it).
pub const STATE_DIR: &str = ".whalewatch";
const SNAPSHOTS_DIR: &str = "snapshots";
const RETIRED_DIR: &str = "retired";
const FORMAT: &str = "whalewatch-lake-snapshot";
const FORMAT_VERSION: u32 = 1;

/// What a file is to the lake: one file of a dataset's partition, named by its stem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileKey {
    pub dataset: String,
    pub partition: Option<String>,
    pub stem: String,
}

/// One live file: its key, where it is (relative to the root, `/`-separated) and what a reader
/// needs to know of it without asking the file system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub dataset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    pub stem: String,
    pub path: String,
    pub size: u64,
    /// Modification time, microseconds since the epoch.
    pub modified_micros: i64,
}

impl FileEntry {
    pub fn key(&self) -> FileKey {
        FileKey {
            dataset: self.dataset.clone(),
            partition: self.partition.clone(),
            stem: self.stem.clone(),
        }
    }
}

/// The files of the lake as of one commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// 0 for a lake without snapshots (read by listing), then 1, 2, … one per commit.
    pub id: u64,
    pub files: BTreeMap<FileKey, FileEntry>,
}

impl Snapshot {
    /// The files of one dataset, in key order.
    pub fn dataset_files<'a>(&'a self, dataset: &'a str) -> impl Iterator<Item = &'a FileEntry> {
        self.files
            .range(
                FileKey {
                    dataset: dataset.to_string(),
                    partition: None,
                    stem: String::new(),
                }..,
            )
            .take_while(move |(key, _)| key.dataset == dataset)
            .map(|(_, entry)| entry)
    }

    fn paths(&self) -> HashSet<&str> {
        self.files.values().map(|e| e.path.as_str()).collect()
    }
}

#[derive(Serialize, Deserialize)]
struct SnapshotDocument {
    format: String,
    version: u32,
    id: u64,
    committed_at: String,
    files: Vec<FileEntry>,
}

/// A snapshot a reader holds: the files it names stay readable until it is dropped.
#[derive(Debug)]
pub struct PinnedSnapshot {
    pub snapshot: Arc<Snapshot>,
    /// The shared lock on the snapshot's file (none for a lake without snapshots).
    _pin: Option<File>,
}

pub fn state_dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR)
}

fn snapshots_dir(root: &Path) -> PathBuf {
    state_dir(root).join(SNAPSHOTS_DIR)
}

pub fn retired_dir(root: &Path) -> PathBuf {
    state_dir(root).join(RETIRED_DIR)
}

fn snapshot_path(root: &Path, id: u64) -> PathBuf {
    snapshots_dir(root).join(format!("{id:020}.json"))
}

/// The name a commit gives a new file: the stem, the snapshot it is written for, and a sequence
/// number when one commit rewrites the same file more than once.
pub fn versioned_name(stem: &str, version: u64, sequence: usize) -> String {
    if sequence == 0 {
        format!("{stem}.v{version}.parquet")
    } else {
        format!("{stem}.v{version}.{sequence}.parquet")
    }
}

/// The snapshot a file name was written for (`CNMS.v42.parquet` → 42); none for the names of a
/// lake written before snapshots (`CNMS.parquet`).
fn version_of(name: &str) -> Option<u64> {
    let base = name.strip_suffix(".parquet")?;
    let mut parts = base.rsplit('.');
    let last = parts.next()?;
    let tag = if last.bytes().all(|b| b.is_ascii_digit()) {
        parts.next()?
    } else {
        last
    };
    let digits = tag.strip_prefix('v')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The ids of the published snapshots, oldest first.
fn snapshot_ids(root: &Path) -> Result<Vec<u64>> {
    let dir = snapshots_dir(root);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut ids = Vec::new();
    for entry in entries {
        let name = entry.map_err(|e| Error::io(&dir, e))?.file_name();
        if let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".json"))
            .filter(|n| n.len() == 20)
            .and_then(|n| n.parse::<u64>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The newest published snapshot's id (none for a lake without snapshots).
pub fn latest_id(root: &Path) -> Result<Option<u64>> {
    Ok(snapshot_ids(root)?.last().copied())
}

fn parse(path: &Path, text: &str) -> Result<Snapshot> {
    let corrupt = |message: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    };
    let document: SnapshotDocument = serde_json::from_str(text)
        .map_err(|e| corrupt(format!("not a whalewatch lake snapshot: {e}")))?;
    if document.format != FORMAT || document.version > FORMAT_VERSION {
        return Err(corrupt(format!(
            "a snapshot of format {} version {}; this whalewatch reads {FORMAT} version {FORMAT_VERSION} (upgrade whalewatch)",
            document.format, document.version
        )));
    }
    Ok(Snapshot {
        id: document.id,
        files: document.files.into_iter().map(|e| (e.key(), e)).collect(),
    })
}

/// Reads a published snapshot (a writer's read: it alone deletes snapshots, so no pin).
pub fn read(root: &Path, id: u64) -> Result<Snapshot> {
    let path = snapshot_path(root, id);
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    parse(&path, &text)
}

/// The last snapshot each lake's readers parsed: a server's statements mostly see the same one.
static PARSED: Mutex<Vec<(PathBuf, Arc<Snapshot>)>> = Mutex::new(Vec::new());

/// Pins the newest snapshot for a reader.
pub fn pin(root: &Path) -> Result<PinnedSnapshot> {
    // Each retry means a writer published or collected a snapshot in between: rare, and bounded
    // by how fast commits can follow one another.
    for _ in 0..1000 {
        let Some(id) = latest_id(root)? else {
            let listed = list_directories(root)?;
            // A first writer may have published meanwhile (and written new files).
            if latest_id(root)?.is_none() {
                return Ok(PinnedSnapshot {
                    snapshot: Arc::new(listed),
                    _pin: None,
                });
            }
            continue;
        };
        let path = snapshot_path(root, id);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        file.lock_shared().map_err(|e| Error::io(&path, e))?;
        // A writer deletes a snapshot while holding it exclusively: once we hold it shared, a
        // file still linked is one nobody will delete until we let go.
        if file.metadata().map_err(|e| Error::io(&path, e))?.nlink() == 0 {
            continue;
        }
        let cached = PARSED.lock().ok().and_then(|parsed| {
            parsed
                .iter()
                .find(|(r, s)| r == root && s.id == id)
                .map(|(_, s)| Arc::clone(s))
        });
        let snapshot = match cached {
            Some(snapshot) => snapshot,
            None => {
                let mut text = String::new();
                file.read_to_string(&mut text)
                    .map_err(|e| Error::io(&path, e))?;
                let snapshot = Arc::new(parse(&path, &text)?);
                if let Ok(mut parsed) = PARSED.lock() {
                    parsed.retain(|(r, _)| r != root);
                    parsed.push((root.to_path_buf(), Arc::clone(&snapshot)));
                }
                snapshot
            }
        };
        return Ok(PinnedSnapshot {
            snapshot,
            _pin: Some(file),
        });
    }
    Err(Error::io(
        snapshots_dir(root),
        std::io::Error::other(
            "no snapshot could be pinned after 1000 attempts (commits too frequent?)",
        ),
    ))
}

/// A lake without snapshots, as its directories hold it (files written by a snapshot-aware
/// whalewatch, named `*.vN.parquet`, are not yet committed and left out).
pub fn list_directories(root: &Path) -> Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    for spec in datasets::ALL {
        for (partition, path) in parquet_files(&root.join(spec.name), spec.partition.is_some())? {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if version_of(name).is_some() {
                continue;
            }
            let stem = name.trim_end_matches(".parquet").to_string();
            let entry = entry_for(root, spec.name, partition, stem, &path)?;
            snapshot.files.insert(entry.key(), entry);
        }
    }
    Ok(snapshot)
}

/// The entry of a file just written (or found) at `path`.
pub fn entry_for(
    root: &Path,
    dataset: &str,
    partition: Option<String>,
    stem: String,
    path: &Path,
) -> Result<FileEntry> {
    let metadata = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let modified_micros = metadata.mtime() * 1_000_000 + metadata.mtime_nsec() / 1_000;
    let relative = path
        .strip_prefix(root)
        .map_err(|_| Error::io(path, std::io::Error::other("a lake file outside the lake")))?;
    Ok(FileEntry {
        dataset: dataset.to_string(),
        partition,
        stem,
        path: relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        size: metadata.len(),
        modified_micros,
    })
}

/// `(partition value, path)` of every visible Parquet file under a dataset's directory.
fn parquet_files(dir: &Path, partitioned: bool) -> Result<Vec<(Option<String>, PathBuf)>> {
    let mut found = Vec::new();
    let visible_parquet = |path: &Path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.') && n.ends_with(".parquet"))
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if partitioned && path.is_dir() {
            let Some(value) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split_once('='))
                .map(|(_, v)| v.to_string())
            else {
                continue;
            };
            for file in fs::read_dir(&path).map_err(|e| Error::io(&path, e))? {
                let file = file.map_err(|e| Error::io(&path, e))?.path();
                if visible_parquet(&file) && file.is_file() {
                    found.push((Some(value.clone()), file));
                }
            }
        } else if !partitioned && visible_parquet(&path) && path.is_file() {
            found.push((None, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Publishes `snapshot` (the commit point: one rename). Its id must be the next one.
pub fn publish(root: &Path, snapshot: &Snapshot) -> Result<()> {
    let dir = snapshots_dir(root);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let target = snapshot_path(root, snapshot.id);
    if target.exists() {
        return Err(Error::io(
            &target,
            std::io::Error::other("snapshot already published (two writers without the lock?)"),
        ));
    }
    let document = SnapshotDocument {
        format: FORMAT.to_string(),
        version: FORMAT_VERSION,
        id: snapshot.id,
        committed_at: chrono::Utc::now().to_rfc3339(),
        files: snapshot.files.values().cloned().collect(),
    };
    let text = serde_json::to_string(&document)
        .map_err(|e| Error::io(&target, std::io::Error::other(e)))?;
    let temp = dir.join(format!(
        ".{:020}.json{TEMP_MARKER}{}",
        snapshot.id,
        std::process::id()
    ));
    let written = (|| {
        fault::step("write snapshot")?;
        let mut file = File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fault::step("rename snapshot into place (the commit point)")?;
        fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(Error::io(&target, e));
    }
    sync_directory(&dir);
    Ok(())
}

/// Moves a file the snapshot `id` no longer names out of its dataset, where readers of older
/// snapshots still find it. A file already gone is fine (a retry after a crash).
pub fn retire(root: &Path, id: u64, relative: &str) -> std::io::Result<()> {
    let from = root.join(relative);
    let to = retired_dir(root).join(format!("{id:020}")).join(relative);
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fault::step("retire a replaced file")?;
    match fs::rename(&from, &to) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => {
            if let Some(parent) = from.parent() {
                sync_directory(parent);
            }
            other
        }
    }
}

/// Deletes the snapshots older than `current` that no reader holds, and the retired files no
/// remaining snapshot can need. Best effort: what stays is collected by a later commit.
pub fn collect_garbage(root: &Path, current: u64) -> Result<()> {
    let mut oldest_kept = current;
    for id in snapshot_ids(root)? {
        if id >= current {
            continue;
        }
        let path = snapshot_path(root, id);
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            // Deleted while held: a reader that opened it waits, then sees it unlinked.
            fault::step("delete an unread snapshot").map_err(|e| Error::io(&path, e))?;
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        } else {
            oldest_kept = oldest_kept.min(id);
        }
    }
    // Retired directory r holds what snapshot r replaced: only snapshots older than r read it.
    let retired = retired_dir(root);
    let Ok(entries) = fs::read_dir(&retired) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let Some(r) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if r <= oldest_kept {
            fault::step("delete retired files").map_err(|e| Error::io(entry.path(), e))?;
            fs::remove_dir_all(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// Set while a writer has files in the dataset directories that the last snapshot may not
/// name (staged, or replaced but not yet retired); a writer that finds it set recovers.
const WRITING_MARKER: &str = "writing";

/// Notes that a writer is about to put files in the dataset directories.
pub fn mark_writing(root: &Path) -> Result<()> {
    let path = state_dir(root).join(WRITING_MARKER);
    if !path.exists() {
        let dir = state_dir(root);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        File::create(&path)
            .and_then(|file| file.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        sync_directory(&dir);
    }
    Ok(())
}

/// Notes that every file in the dataset directories is named by the last snapshot again.
pub fn clear_writing(root: &Path) {
    if fs::remove_file(state_dir(root).join(WRITING_MARKER)).is_ok() {
        sync_directory(&state_dir(root));
    }
}

/// Whether the last writer stopped before it could say the lake was tidy.
pub fn was_writing(root: &Path) -> bool {
    state_dir(root).join(WRITING_MARKER).exists()
}

/// Puts the lake in the state `snapshot` describes after a writer died: temporary files go,
/// files written for a later snapshot that never got published go, and files `snapshot`
/// replaced but the dead writer had not yet moved out are retired. One pass over the dataset
/// directories, file types from the directory entries (no `stat` per file).
pub fn recover(root: &Path, snapshot: &Snapshot) -> Result<()> {
    remove_temp_files_under(&snapshots_dir(root))?;
    let live = snapshot.paths();
    for spec in datasets::ALL {
        let dir = root.join(spec.name);
        let mut directories = vec![dir];
        while let Some(dir) = directories.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir, e))?;
                let path = entry.path();
                let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if file_type.is_dir() {
                    directories.push(path);
                } else if name.contains(TEMP_MARKER) {
                    fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                } else if name.ends_with(".parquet") && !name.starts_with('.') {
                    let Ok(relative) = path.strip_prefix(root) else {
                        continue;
                    };
                    let relative = relative.to_string_lossy().replace('\\', "/");
                    if live.contains(relative.as_str()) {
                        continue;
                    }
                    if version_of(&name).is_some_and(|v| v > snapshot.id) {
                        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                    } else {
                        retire(root, snapshot.id, &relative).map_err(|e| Error::io(&path, e))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Removes the temporary files a dead writer left in `dir` (not below it).
fn remove_temp_files_under(dir: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().contains(TEMP_MARKER) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Makes renames and removals in `dir` durable (best effort: not every file system can).
pub fn sync_directory(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_names_written_by_commits_only() {
        assert_eq!(version_of(&versioned_name("CNMS", 42, 0)), Some(42));
        assert_eq!(version_of(&versioned_name("1d", 7, 3)), Some(7));
        assert_eq!(version_of("CNMS.parquet"), None);
        assert_eq!(version_of("0001140361-23-013281.parquet"), None);
        assert_eq!(version_of("S&P 500.parquet"), None);
        assert_eq!(version_of("x.vx.parquet"), None);
    }
}
