//! Statements that write files: refused inside the lake (only an ingest writes there, under the
//! lake's lock and in a transaction), and everywhere in a session that writes no files.

use std::path::{Component, Path, PathBuf};

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::{ListingTable, ListingTableUrl};
use datafusion::datasource::{source_as_provider, MemTable};
use datafusion::logical_expr::{DmlStatement, LogicalPlan, WriteOp};

use crate::error::{Error, Result};

/// Which statements a session lets write files (`COPY … TO`, `INSERT INTO` an external table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileWrites {
    /// Anywhere but inside the lake.
    #[default]
    OutsideLake,
    /// Nowhere (a server's sessions): only in-memory tables may change.
    Refused,
}

/// What a session checks each statement's plan against.
#[derive(Debug, Clone)]
pub struct WriteGuard {
    /// The lake's root, resolved (absolute, symbolic links followed).
    lake_root: PathBuf,
    writes: FileWrites,
}

impl WriteGuard {
    pub fn new(lake_root: &Path, writes: FileWrites) -> Self {
        WriteGuard {
            lake_root: resolve(lake_root),
            writes,
        }
    }

    /// Refuses `plan` if it, or a plan inside it (`EXPLAIN ANALYZE COPY …`), writes files where
    /// this session may not.
    pub fn check(&self, plan: &LogicalPlan) -> Result<()> {
        let mut refusal = None;
        plan.apply_with_subqueries(|node| {
            refusal = match node {
                LogicalPlan::Copy(copy) => self.check_copy(&copy.output_url),
                LogicalPlan::Dml(dml) => self.check_dml(dml),
                _ => None,
            };
            Ok(if refusal.is_some() {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        })?;
        refusal.map_or(Ok(()), |message| Err(Error::WriteRefused(message)))
    }

    fn check_copy(&self, url: &str) -> Option<String> {
        if self.writes == FileWrites::Refused {
            return Some(format!(
                "COPY … TO '{url}' refused: this session writes no files (statements that write \
                 files are turned off here); run it with `whalewatch sql` on your own machine"
            ));
        }
        let path = local_path(url)?;
        self.inside_lake(&path).then(|| {
            format!(
                "COPY … TO '{url}' refused: {} is inside the lake ({}), where only an ingest \
                 writes (under the lake's lock, in a transaction that merges rows by key); a file \
                 written there would bypass both and its rows would be read twice. Write it \
                 outside the lake (COPY … TO 'reports/…'), and land rows in the lake with \
                 `whalewatch ingest`",
                path.display(),
                self.lake_root.display()
            )
        })
    }

    fn check_dml(&self, dml: &DmlStatement) -> Option<String> {
        let verb = match dml.op {
            WriteOp::Insert(_) => "INSERT INTO",
            WriteOp::Delete => "DELETE FROM",
            WriteOp::Update => "UPDATE",
            WriteOp::Ctas => "CREATE TABLE AS",
            WriteOp::Truncate => "TRUNCATE",
            WriteOp::MergeInto(_) => "MERGE INTO",
            _ => "a statement that writes to",
        };
        let table = &dml.table_name;
        let provider = source_as_provider(&dml.target).ok();
        if provider.as_ref().is_some_and(|p| p.is::<MemTable>()) {
            // An in-memory table (CREATE TABLE … AS, VALUES): no file changes.
            return None;
        }
        let listing = provider
            .as_ref()
            .and_then(|p| p.downcast_ref::<ListingTable>());
        if self.writes == FileWrites::Refused {
            return Some(format!(
                "{verb} {table} refused: this session writes no files (statements that write \
                 files are turned off here); only in-memory tables (CREATE TABLE … AS) change"
            ));
        }
        let Some(listing) = listing else {
            return Some(format!(
                "{verb} {table} refused: {table} is a table of the lake (or not one whalewatch \
                 writes to); rows land in the lake only through `whalewatch ingest`, under its \
                 lock and in a transaction. To keep rows of your own, use a table outside the \
                 lake (CREATE EXTERNAL TABLE … LOCATION 'elsewhere/') or in memory \
                 (CREATE TABLE … AS)"
            ));
        };
        let inside = listing
            .table_paths()
            .iter()
            .filter_map(|url| local_path(url.as_str()))
            .find(|path| self.inside_lake(path))?;
        Some(format!(
            "{verb} {table} refused: the table's files are at {}, inside the lake ({}), where only \
             an ingest writes (under the lake's lock, in a transaction that merges rows by key). \
             Point the table outside the lake, and land rows in the lake with `whalewatch ingest`",
            inside.display(),
            self.lake_root.display()
        ))
    }

    fn inside_lake(&self, path: &Path) -> bool {
        resolve(path).starts_with(&self.lake_root)
    }
}

/// The local path a URL or path names, absolute; None for a remote store (`s3://…`).
fn local_path(url: &str) -> Option<PathBuf> {
    match ListingTableUrl::parse(url) {
        Ok(parsed) if parsed.scheme() == "file" => parsed.get_url().to_file_path().ok(),
        Ok(_) => None,
        Err(_) => Some(PathBuf::from(url)),
    }
}

/// `path` made absolute with its symbolic links followed: the longest part that exists is
/// canonicalised, and the rest (which cannot hold links) appended with `.` and `..` applied.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut resolved = canonical;
            for component in rest.iter().rev() {
                match component {
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    Component::CurDir => {}
                    other => resolved.push(other.as_os_str()),
                }
            }
            return resolved;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_through_links_and_dots() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(lake.join("bars")).unwrap();
        let outside = dir.path().join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(lake.join("bars"), outside.join("link")).unwrap();
        let guard = WriteGuard::new(&lake, FileWrites::OutsideLake);
        assert!(guard.inside_lake(&lake.join("bars/new/x.parquet")));
        assert!(guard.inside_lake(&outside.join("link/x.parquet")));
        assert!(guard.inside_lake(&outside.join("../lake/x.parquet")));
        assert!(guard.inside_lake(&outside.join("new/../../lake/y/z.csv")));
        assert!(!guard.inside_lake(&outside.join("x.parquet")));
        assert!(!guard.inside_lake(&lake.join("../lake2/x.parquet")));
        assert_eq!(
            local_path("file:///tmp/x.csv"),
            Some(PathBuf::from("/tmp/x.csv"))
        );
        assert_eq!(local_path("s3://bucket/x.csv"), None);
    }
}
