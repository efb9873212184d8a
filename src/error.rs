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

    #[error("{url}: {message}")]
    Http { url: String, message: String },

    #[error("configuration: {0}")]
    Config(String),

    #[error("{0}")]
    Usage(String),

    #[error("query file {path}: {message}")]
    QueryFile { path: PathBuf, message: String },

    /// Some sources of an ingest failed; the others landed. Details were reported as they happened.
    #[error("{failed} of {total} sources failed to ingest (see above, and `SELECT * FROM ingest_log WHERE status = 'failed'`)")]
    IngestFailed { failed: usize, total: usize },
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
