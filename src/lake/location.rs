//! Where a lake is, where that was said, and whether a lake is there.
//!
//! Opening checks the place before anything reads or writes it: a query on a path that does not
//! exist (or holds no lake) would otherwise answer with empty tables, and a URL taken for a
//! directory would create a local folder named `s3:`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Who named the lake's location; an error about the location says it, so the user knows which
/// setting to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationOrigin {
    /// `--lake`.
    Flag,
    /// `$WHALEWATCH_LAKE`.
    Environment,
    /// `lake = …` in this config file.
    ConfigFile(PathBuf),
    /// Nothing did: the default `./data`.
    Default,
}

impl fmt::Display for LocationOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocationOrigin::Flag => f.write_str("from --lake"),
            LocationOrigin::Environment => f.write_str("from $WHALEWATCH_LAKE"),
            LocationOrigin::ConfigFile(path) => write!(f, "from `lake` in {}", path.display()),
            LocationOrigin::Default => f.write_str(
                "the default, as neither --lake, $WHALEWATCH_LAKE nor a config file's `lake` gave one",
            ),
        }
    }
}

/// A lake's location as given (a path, or a URL the lake may not serve yet) and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeLocation {
    pub location: String,
    pub origin: LocationOrigin,
}

/// The file that marks a directory as a lake (written by `whalewatch init` and by every ingest).
pub const LAKE_MARKER: &str = ".whalewatch-lake";

impl LakeLocation {
    pub fn new(location: impl Into<String>, origin: LocationOrigin) -> Self {
        LakeLocation {
            location: location.into(),
            origin,
        }
    }

    /// The local directory this location names, or an error for a URL scheme the lake cannot
    /// serve (nothing is created for it).
    pub fn local_path(&self) -> Result<PathBuf> {
        if let Some((scheme, _)) = self.location.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if scheme == "file" {
                return Ok(PathBuf::from(&self.location["file://".len()..]));
            }
            return Err(self.problem(format!(
                "{scheme}:// locations are not supported yet; the lake is a local directory \
                 (give a path such as /srv/whalewatch/lake)"
            )));
        }
        Ok(PathBuf::from(&self.location))
    }

    fn problem(&self, message: String) -> Error {
        Error::LakeLocation {
            location: self.location.clone(),
            origin: self.origin.to_string(),
            message,
        }
    }

    /// The directory, which must exist and hold a lake.
    pub fn existing_lake_directory(&self) -> Result<PathBuf> {
        let path = self.local_path()?;
        if !path.exists() {
            return Err(self.problem(format!(
                "no such directory; create a lake with `whalewatch init {0}` or by ingesting \
                 into it (`whalewatch --lake {0} ingest …`), or point --lake at an existing one",
                path.display()
            )));
        }
        if !path.is_dir() {
            return Err(self.problem("not a directory".to_string()));
        }
        if !holds_a_lake(&path) {
            return Err(self.problem(format!(
                "the directory holds no whalewatch lake (no {LAKE_MARKER}, ingest_log or dataset \
                 directory); make it one with `whalewatch init {}` or by ingesting into it, or \
                 point --lake at your lake",
                path.display()
            )));
        }
        Ok(path)
    }
}

/// A lake directory holds the marker, or (a lake written before the marker existed) the ingest
/// log or a dataset's directory.
fn holds_a_lake(path: &Path) -> bool {
    path.join(LAKE_MARKER).is_file()
        || path.join(super::datasets::INGEST_LOG.name).is_dir()
        || super::datasets::ALL
            .iter()
            .any(|spec| path.join(spec.name).is_dir())
}
