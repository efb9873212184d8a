//! The lake as DataFusion's `file://` object store: the local file system, except that inside
//! the lake a listing shows the files of the statement's pinned snapshot (never a file being
//! written, never one replaced since the statement began), a file retired since is read from its
//! retired place, and writes are refused (the lake is written by ingests, in transactions).
//!
//! DataFusion's listing tables, partition pruning and Parquet reader run unchanged on top; the
//! object-store lake of a later issue keeps this shape with another inner store.

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::snapshot::{self, PinnedSnapshot};
use super::Lake;
use crate::error::{Error, Result};

const STORE_NAME: &str = "whalewatch lake";

#[derive(Debug)]
pub struct LakeStore {
    inner: LocalFileSystem,
    /// The lake's absolute root.
    root: PathBuf,
    /// The snapshot the current statement reads.
    pinned: RwLock<Option<Arc<PinnedSnapshot>>>,
}

impl fmt::Display for LakeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LakeStore({})", self.root.display())
    }
}

impl LakeStore {
    pub fn new(lake: &Lake) -> Result<Self> {
        let root = std::path::absolute(lake.root()).map_err(|e| Error::io(lake.root(), e))?;
        Ok(LakeStore {
            inner: LocalFileSystem::new(),
            root,
            pinned: RwLock::new(None),
        })
    }

    /// The lake's absolute root (what its listing tables are parsed from).
    pub fn root(&self) -> &FsPath {
        &self.root
    }

    /// Pins the newest snapshot for the statement about to be planned; the previous statement's
    /// pin is released.
    pub fn pin_latest(&self) -> Result<Arc<PinnedSnapshot>> {
        let pinned = Arc::new(snapshot::pin(&self.root)?);
        if let Ok(mut slot) = self.pinned.write() {
            *slot = Some(Arc::clone(&pinned));
        }
        Ok(pinned)
    }

    /// Releases the pin once a statement's results have all been read.
    pub fn release(&self) {
        if let Ok(mut slot) = self.pinned.write() {
            *slot = None;
        }
    }

    /// The pinned snapshot, pinning the newest if no statement did (a caller outside the SQL
    /// front's statement loop still gets one consistent snapshot until the next pin).
    fn pinned(&self) -> object_store::Result<Arc<PinnedSnapshot>> {
        if let Some(pinned) = self.pinned.read().ok().and_then(|slot| slot.clone()) {
            return Ok(pinned);
        }
        self.pin_latest().map_err(generic)
    }

    /// How many files the pinned snapshot has for `dataset`.
    pub fn file_count(&self, dataset: &str) -> usize {
        self.pinned()
            .map(|p| p.snapshot.dataset_files(dataset).count())
            .unwrap_or(0)
    }

    /// The path inside the lake (`bars/date=2021-01-04/1d.v3.parquet`) of a location, if it is
    /// in the lake.
    fn relative(&self, location: &Path) -> Option<String> {
        let path = self.inner.path_to_filesystem(location).ok()?;
        let relative = path.strip_prefix(&self.root).ok()?;
        Some(
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    fn in_lake(&self, location: &Path) -> bool {
        self.relative(location).is_some()
    }

    /// Whether `prefix` lies inside the lake (or is its root).
    fn lists_lake(&self, prefix: Option<&Path>) -> bool {
        prefix.is_some_and(|p| self.in_lake(p))
    }

    /// The pinned snapshot's files under `prefix`.
    fn snapshot_objects(&self, prefix: &Path) -> object_store::Result<Vec<ObjectMeta>> {
        let pinned = self.pinned()?;
        // Compared as text first: building a location for each of thousands of files a scan
        // does not need costs more than the scan's own listing.
        let under = self.relative(prefix).unwrap_or_default();
        let mut objects = Vec::new();
        for entry in pinned.snapshot.files.values() {
            let inside = under.is_empty()
                || entry
                    .path
                    .strip_prefix(under.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !inside {
                continue;
            }
            let location = Path::from_absolute_path(self.root.join(&entry.path))?;
            if location.prefix_matches(prefix) {
                objects.push(ObjectMeta {
                    location,
                    last_modified: chrono::DateTime::from_timestamp_micros(entry.modified_micros)
                        .unwrap_or_default(),
                    size: entry.size,
                    e_tag: None,
                    version: None,
                });
            }
        }
        Ok(objects)
    }

    /// Where a file a later commit retired is now (the retired directories are few: one per
    /// commit that older readers may still need).
    fn retired_location(&self, location: &Path) -> Option<Path> {
        let relative = self.relative(location)?;
        let mut directories: Vec<PathBuf> = std::fs::read_dir(snapshot::retired_dir(&self.root))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .collect();
        directories.sort();
        directories
            .into_iter()
            .map(|dir| dir.join(&relative))
            .find(|candidate| candidate.is_file())
            .and_then(|found| Path::from_absolute_path(found).ok())
    }

    fn refuse_write(&self, location: &Path) -> object_store::Result<()> {
        if self.in_lake(location) {
            return Err(object_store::Error::Generic {
                store: STORE_NAME,
                source: format!(
                    "{location}: the lake is written only by `whalewatch ingest` (in transactions \
                     readers can rely on); write this file outside the lake directory {}",
                    self.root.display()
                )
                .into(),
            });
        }
        Ok(())
    }
}

fn generic(error: Error) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE_NAME,
        source: Box::new(error),
    }
}

fn not_found(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
}

#[async_trait]
impl ObjectStore for LakeStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.refuse_write(location)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.refuse_write(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        match self.inner.get_opts(location, options.clone()).await {
            Err(error) if not_found(&error) => match self.retired_location(location) {
                Some(retired) => self.inner.get_opts(&retired, options).await,
                None => Err(error),
            },
            other => other,
        }
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        match self.inner.get_ranges(location, ranges).await {
            Err(error) if not_found(&error) => match self.retired_location(location) {
                Some(retired) => self.inner.get_ranges(&retired, ranges).await,
                None => Err(error),
            },
            other => other,
        }
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let root = self.root.clone();
        let checked = locations
            .and_then(move |location| {
                let inside = LocalFileSystem::new()
                    .path_to_filesystem(&location)
                    .is_ok_and(|p| p.starts_with(&root));
                futures::future::ready(if inside {
                    Err(object_store::Error::Generic {
                        store: STORE_NAME,
                        source: format!(
                            "{location}: the lake's files are deleted only by whalewatch"
                        )
                        .into(),
                    })
                } else {
                    Ok(location)
                })
            })
            .boxed();
        self.inner.delete_stream(checked)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        match prefix {
            Some(prefix) if self.lists_lake(Some(prefix)) => match self.snapshot_objects(prefix) {
                Ok(objects) => stream::iter(objects.into_iter().map(Ok)).boxed(),
                Err(error) => stream::once(async { Err(error) }).boxed(),
            },
            _ => self.inner.list(prefix),
        }
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let Some(prefix) = prefix.filter(|p| self.lists_lake(Some(p))) else {
            return self.inner.list_with_delimiter(prefix).await;
        };
        let depth = prefix.parts().count();
        let mut common_prefixes = std::collections::BTreeSet::new();
        let mut objects = Vec::new();
        for object in self.snapshot_objects(prefix)? {
            let parts: Vec<_> = object.location.parts().collect();
            if parts.len() == depth + 1 {
                objects.push(object);
            } else if parts.len() > depth + 1 {
                common_prefixes.insert(Path::from_iter(parts.into_iter().take(depth + 1)));
            }
        }
        Ok(ListResult {
            common_prefixes: common_prefixes.into_iter().collect(),
            objects,
        })
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.refuse_write(to)?;
        self.inner.copy_opts(from, to, options).await
    }
}
