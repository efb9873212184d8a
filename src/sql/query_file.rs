//! Query files: SQL with a comment header that names the query, describes it and declares its
//! parameters with types and defaults.
//!
//! ```sql
//! -- name: dix
//! -- description: Daily DIX of a basket with its 20-day average.
//! -- param: basket text = sample      -- the basket, from the baskets table
//! -- param: from date = 1990-01-01
//! -- schedule: (reserved for the scheduler)
//! -- output: (reserved for the scheduler)
//! SELECT … WHERE basket = $basket AND date >= $from;
//! ```
//!
//! Parameters are bound as typed values to `$name` placeholders, never pasted into the SQL.
//! The header is the leading run of `-- key: value` comment lines, up to the first blank line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Text,
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
}

impl ParamType {
    fn parse(name: &str) -> Option<ParamType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "text" | "string" | "varchar" => ParamType::Text,
            "int" | "integer" | "bigint" => ParamType::Int,
            "float" | "double" | "real" => ParamType::Float,
            "bool" | "boolean" => ParamType::Bool,
            "date" => ParamType::Date,
            "timestamp" => ParamType::Timestamp,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ParamType::Text => "text",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Date => "date",
            ParamType::Timestamp => "timestamp",
        }
    }

    /// Parses a value given on the command line or as a default.
    pub fn value(self, text: &str) -> Result<ScalarValue, String> {
        let text = text.trim();
        let bad = |what: &str| format!("{text:?} is not {what}");
        Ok(match self {
            ParamType::Text => ScalarValue::Utf8(Some(text.to_string())),
            ParamType::Int => {
                ScalarValue::Int64(Some(text.parse().map_err(|_| bad("an integer"))?))
            }
            ParamType::Float => {
                ScalarValue::Float64(Some(text.parse().map_err(|_| bad("a number"))?))
            }
            ParamType::Bool => {
                ScalarValue::Boolean(Some(match text.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => return Err(bad("true or false")),
                }))
            }
            ParamType::Date => {
                let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| bad("a YYYY-MM-DD date"))?;
                ScalarValue::Date32(Some(
                    datafusion::arrow::datatypes::Date32Type::from_naive_date(date),
                ))
            }
            ParamType::Timestamp => {
                let ts = DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| bad("an RFC 3339 timestamp with offset (2024-01-02T14:30:00Z)"))?;
                ScalarValue::TimestampMicrosecond(Some(ts.timestamp_micros()), Some("UTC".into()))
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub param_type: ParamType,
    pub default: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct QueryFile {
    pub path: PathBuf,
    pub name: String,
    pub description: Option<String>,
    pub params: Vec<ParamSpec>,
    /// Reserved: when the scheduler should run the file (cron syntax).
    pub schedule: Option<String>,
    /// Reserved: where the scheduler should write the result.
    pub output: Option<String>,
    pub sql: String,
}

impl QueryFile {
    pub fn load(path: &Path) -> Result<QueryFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        QueryFile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<QueryFile> {
        let error = |line: usize, message: String| Error::QueryFile {
            path: path.to_path_buf(),
            message: format!("line {line}: {message}"),
        };
        let mut file = QueryFile {
            path: path.to_path_buf(),
            name: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("query")
                .to_string(),
            description: None,
            params: Vec::new(),
            schedule: None,
            output: None,
            sql: text.to_string(),
        };
        let mut in_header = false;
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() {
                // A blank line ends the header; comments after it are the SQL's own.
                if in_header {
                    break;
                }
                continue;
            }
            in_header = true;
            let Some(comment) = trimmed.strip_prefix("--") else {
                break;
            };
            let Some((key, value)) = comment.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "name" => file.name = value.to_string(),
                "description" => {
                    file.description = Some(match file.description.take() {
                        Some(before) => format!("{before} {value}"),
                        None => value.to_string(),
                    })
                }
                "schedule" => {
                    file.schedule = Some(value.to_string()).filter(|v| !v.starts_with('('))
                }
                "output" => file.output = Some(value.to_string()).filter(|v| !v.starts_with('(')),
                "param" => {
                    let (declaration, description) = match value.split_once("--") {
                        Some((d, rest)) => (d.trim(), Some(rest.trim().to_string())),
                        None => (value, None),
                    };
                    let (head, default) = match declaration.split_once('=') {
                        Some((h, d)) => (h.trim(), Some(d.trim().trim_matches('\'').to_string())),
                        None => (declaration, None),
                    };
                    let mut words = head.split_whitespace();
                    let (Some(name), Some(type_name), None) =
                        (words.next(), words.next(), words.next())
                    else {
                        return Err(error(line_number, format!("expected `-- param: NAME TYPE [= DEFAULT] [-- description]`, found {value:?}")));
                    };
                    let param_type = ParamType::parse(type_name).ok_or_else(|| {
                        error(line_number, format!("unknown type {type_name:?}: use text, int, float, bool, date or timestamp"))
                    })?;
                    if let Some(default) = &default {
                        param_type
                            .value(default)
                            .map_err(|m| error(line_number, format!("default of {name}: {m}")))?;
                    }
                    file.params.push(ParamSpec {
                        name: name.to_string(),
                        param_type,
                        default,
                        description,
                    });
                }
                _ => {}
            }
        }
        Ok(file)
    }

    /// The SQL with each date parameter passed to a table function (`holdings_asof($as_of)`)
    /// written in as a literal: a table function's arguments are planned before parameters bind,
    /// so they must be constants. Only bound dates are written, so no text of the user's reaches
    /// the SQL this way.
    pub fn sql_with_table_function_dates(&self, values: &ParamValues) -> String {
        let ParamValues::Map(map) = values else {
            return self.sql.clone();
        };
        let mut sql = self.sql.clone();
        for (name, value) in map {
            if let ScalarValue::Date32(Some(days)) = &value.value {
                let Some(date) = datafusion::arrow::temporal_conversions::date32_to_datetime(*days)
                    .map(|at| at.date())
                else {
                    continue;
                };
                sql = sql.replace(
                    &format!("holdings_asof(${name})"),
                    &format!("holdings_asof('{}')", date.format("%Y-%m-%d")),
                );
            }
        }
        sql
    }

    /// Binds `given` (`name=value` pairs) and the defaults into typed values for `$name`.
    pub fn bind(&self, given: &[(String, String)]) -> Result<ParamValues> {
        let error = |message: String| Error::QueryFile {
            path: self.path.clone(),
            message,
        };
        let mut values: HashMap<String, ScalarAndMetadata> = HashMap::new();
        for (name, _) in given {
            if !self.params.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                return Err(error(format!(
                    "no parameter {name:?}; this file takes: {}",
                    known.join(", ")
                )));
            }
        }
        for param in &self.params {
            let text = given
                .iter()
                .rev()
                .find(|(name, _)| name == &param.name)
                .map(|(_, v)| v.as_str())
                .or(param.default.as_deref())
                .ok_or_else(|| {
                    error(format!(
                        "parameter {} ({}) is required: pass --param {}=VALUE",
                        param.name,
                        param.param_type.name(),
                        param.name
                    ))
                })?;
            let value = param
                .param_type
                .value(text)
                .map_err(|m| error(format!("parameter {}: {m}", param.name)))?;
            values.insert(param.name.clone(), ScalarAndMetadata::from(value));
        }
        Ok(ParamValues::Map(values))
    }
}

/// Splits `name=value`.
pub fn parse_param_assignment(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(n, v)| (n.trim().to_string(), v.to_string()))
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| format!("{text:?}: expected NAME=VALUE"))
}
