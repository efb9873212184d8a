//! The library's error type. Every variant renders as one line that says what failed, where,
//! and (where there is one) what to do about it; the binary prints it and exits non-zero.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),

    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),

    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },

    /// A record or a whole file that does not follow its format.
    #[error("{source_name}{}: {message}", location(*line, field.as_deref()))]
    Format {
        source_name: String,
        line: Option<u64>,
        field: Option<String>,
        message: String,
    },

    /// An HTTP request that did not get its answer. `status` is the last HTTP status when the
    /// server answered; the transport error (DNS, connection refused, TLS) is kept as the cause.
    /// A source refused whole for its records; the message names the first problem (with its
    /// file, line and field) and the refused records are kept in `rejected_records`.
    #[error("{0}")]
    Refused(String),

    #[error("{url}: {message}")]
    Http {
        url: String,
        status: Option<u16>,
        message: String,
        #[source]
        cause: Option<reqwest::Error>,
    },

    /// A lake location that cannot be used: it does not exist, holds no lake, or is a URL the
    /// lake cannot serve.
    #[error("lake {location} ({origin}): {message}")]
    LakeLocation {
        location: String,
        origin: String,
        message: String,
    },

    /// A local file whose content already landed under another name; nothing of it was written.
    #[error("{source_name}: skipped, its content (SHA-256) already landed as {earlier}")]
    DuplicateContent {
        source_name: String,
        earlier: String,
    },

    /// An ingest that landed nothing of what it was asked for.
    #[error("{0}")]
    NothingLanded(String),

    #[error("configuration: {0}")]
    Config(String),

    #[error("{0}")]
    Usage(String),

    #[error("query file {path}: {message}")]
    QueryFile { path: PathBuf, message: String },

    /// Not a failure: an ingest landed rows and refused some records (kept in
    /// `rejected_records`). The binary prints it as a warning and exits 3.
    #[error("{refused} records were refused and did not land (SELECT * FROM rejected_records WHERE ingest_id IN ({}))", ingest_ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", "))]
    RecordsRefused {
        refused: u64,
        ingest_ids: Vec<String>,
    },

    /// Some sources of an ingest failed; the others landed. Details were reported as they happened.
    #[error("{failed} of {total} sources failed to ingest (see above, and `SELECT * FROM ingest_log WHERE status = 'failed'`)")]
    IngestFailed { failed: usize, total: usize },

    /// A batch that does not fit its dataset's file schema (a column it does not have, of another
    /// type or length, given twice, or missing): a bug in the code that built it.
    #[error("dataset {dataset}: {message}")]
    Batch {
        dataset: &'static str,
        message: String,
    },
}

fn location(line: Option<u64>, field: Option<&str>) -> String {
    match (line, field) {
        (Some(line), Some(field)) => format!(":{line}: field {field}"),
        (Some(line), None) => format!(":{line}"),
        (None, Some(field)) => format!(": field {field}"),
        (None, None) => String::new(),
    }
}

impl Error {
    /// An HTTP error with only a message (no status, no transport cause).
    pub fn http(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Http {
            url: url.into(),
            status: None,
            message: message.into(),
            cause: None,
        }
    }

    /// The publisher refused the request (403 or 429 after the retries): the SEC then blocks for
    /// about ten minutes, and asking again only prolongs it.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Http {
                status: Some(403 | 429),
                ..
            }
        )
    }

    /// The host could not be reached at all (no such name, connection refused): the next
    /// request of the run would fail the same way.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Http { cause: Some(cause), status: None, .. } if cause.is_connect())
    }

    /// A remote run stops at this error: the host refuses or cannot be reached, so every next
    /// request would meet the same wall.
    pub fn ends_the_run(&self) -> bool {
        self.is_refusal() || self.is_unreachable()
    }

    /// The process's exit status for this error: 3 for an ingest that landed rows but refused
    /// some ([`Error::RecordsRefused`]), 1 for every other error (clap's usage errors exit 2).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::RecordsRefused { .. } => 3,
            _ => 1,
        }
    }

    /// How the binary prefixes the line: `warning` for a partial ingest, `error` otherwise.
    pub fn severity(&self) -> &'static str {
        match self {
            Error::RecordsRefused { .. } => "warning",
            _ => "error",
        }
    }

    /// The whole chain of causes on one line: each cause is added unless the text so far
    /// already says it (most variants render their cause in their own message).
    pub fn chain_line(&self) -> String {
        let mut line = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = error.source();
        }
        line.replace('\n', " ")
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn format(
        source_name: impl Into<String>,
        line: Option<u64>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Format {
            source_name: source_name.into(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}
