//! Tab completion for the REPL: SQL words, table, view, column and function names, the
//! commands, and `.run`'s query files. The names are gathered when the session starts and on
//! `.refresh`, since rustyline asks for completions synchronously, on every Tab.

use std::collections::BTreeSet;
use std::path::Path;

use datafusion::prelude::SessionContext;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::meta::COMMANDS;

/// The SQL words most typed; completion gives them in the case the word was begun in.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "DISTINCT",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "WITH",
    "UNION",
    "ALL",
    "EXCEPT",
    "INTERSECT",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "OVER",
    "PARTITION",
    "ROWS",
    "RANGE",
    "PRECEDING",
    "FOLLOWING",
    "CURRENT",
    "ROW",
    "CAST",
    "INTERVAL",
    "DATE",
    "TIMESTAMP",
    "EXPLAIN",
    "ANALYZE",
    "SHOW",
    "DESCRIBE",
    "CREATE",
    "VIEW",
    "TABLE",
    "COPY",
    "TO",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "TRUE",
    "FALSE",
];

/// What completion offers besides keywords and commands.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub tables: BTreeSet<String>,
    pub columns: BTreeSet<String>,
    pub functions: BTreeSet<String>,
}

impl Names {
    /// The tables and views of the session's default schema, their columns, and whalewatch's
    /// functions.
    pub async fn gather(ctx: &SessionContext) -> Names {
        let mut names = Names {
            functions: whalewatch_udfs::function_docs()
                .into_iter()
                .map(|doc| doc.name)
                .collect(),
            ..Names::default()
        };
        let schema = ctx
            .catalog("datafusion")
            .and_then(|catalog| catalog.schema("public"));
        if let Some(schema) = schema {
            for table in schema.table_names() {
                if let Ok(Some(provider)) = schema.table(&table).await {
                    names.columns.extend(
                        provider
                            .schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().to_string()),
                    );
                }
                names.tables.insert(table);
            }
        }
        names
    }
}

/// The REPL's rustyline helper: completion only (no hints, colours or validation).
pub struct ReplHelper {
    pub names: Names,
    /// The line being typed continues a statement, so it cannot be a command.
    pub continuation: bool,
}

impl ReplHelper {
    pub fn new(names: Names) -> Self {
        ReplHelper {
            names,
            continuation: false,
        }
    }

    /// Where the word before `pos` starts, and the candidates to replace it with.
    pub fn candidates(&self, line: &str, pos: usize, cwd: &Path) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let indent = before.len() - before.trim_start().len();
        let is_command = !self.continuation && before[indent..].starts_with(['.', '\\']);
        if is_command {
            let words = &before[indent..];
            let Some((command, rest)) = words.split_once(char::is_whitespace) else {
                // A space after a whole command, as a shell does, ready for its argument.
                let mut commands = matching(COMMANDS.iter().copied(), words, false);
                for command in &mut commands {
                    command.replacement.push(' ');
                }
                return (indent, commands);
            };
            // The argument being typed: after the last blank.
            let start = pos - rest.len() + rest.rfind(char::is_whitespace).map_or(0, |i| i + 1);
            let word = &before[start..];
            let first_argument = rest.trim_start().len() == word.len();
            let candidates = match command {
                ".run" if first_argument => sql_files(word, cwd),
                ".describe" | "\\d" if first_argument => {
                    matching(self.names.tables.iter().map(String::as_str), word, false)
                }
                ".functions" | "\\df" if first_argument => {
                    matching(self.names.functions.iter().map(String::as_str), word, false)
                }
                ".timer" if first_argument => matching(["on", "off"].into_iter(), word, false),
                _ => Vec::new(),
            };
            return (start, candidates);
        }
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        if word.is_empty() {
            return (pos, Vec::new());
        }
        let names = self
            .names
            .tables
            .iter()
            .chain(&self.names.columns)
            .chain(&self.names.functions)
            .map(String::as_str);
        let mut candidates = matching(names, word, false);
        candidates.extend(matching(KEYWORDS.iter().copied(), word, true));
        candidates.sort_by(|a, b| a.replacement.cmp(&b.replacement));
        candidates.dedup_by(|a, b| a.replacement == b.replacement);
        (start, candidates)
    }
}

/// The `names` that begin with `word` (ignoring case); a keyword takes the case of `word`.
fn matching<'a>(names: impl Iterator<Item = &'a str>, word: &str, keyword: bool) -> Vec<Pair> {
    let lower = word.to_lowercase();
    let lowercase_keyword = keyword && word.chars().any(|c| c.is_lowercase());
    names
        .filter(|name| name.to_lowercase().starts_with(&lower))
        .map(|name| {
            let text = if lowercase_keyword {
                name.to_lowercase()
            } else {
                name.to_string()
            };
            Pair {
                display: text.clone(),
                replacement: text,
            }
        })
        .collect()
}

/// The directories and `*.sql` files whose path begins with `word`, relative to `cwd`.
fn sql_files(word: &str, cwd: &Path) -> Vec<Pair> {
    let (dir, prefix) = match word.rfind('/') {
        Some(i) => word.split_at(i + 1),
        None => ("", word),
    };
    let Ok(entries) = std::fs::read_dir(cwd.join(if dir.is_empty() { "." } else { dir })) else {
        return Vec::new();
    };
    let mut candidates: Vec<Pair> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            // Hidden files only when asked for, as in a shell.
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let display = if entry.path().is_dir() {
                format!("{name}/")
            } else if name.ends_with(".sql") {
                name
            } else {
                return None;
            };
            // A file is whole (parameters may follow); a directory goes on.
            let space = if display.ends_with('/') { "" } else { " " };
            Some(Pair {
                replacement: format!("{dir}{display}{space}"),
                display,
            })
        })
        .collect();
    candidates.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    candidates
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.candidates(line, pos, Path::new(".")))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        ReplHelper::new(Names {
            tables: ["short_volume", "short_volume_consolidated", "bars"]
                .map(String::from)
                .into(),
            columns: ["symbol", "short_volume", "date"].map(String::from).into(),
            functions: ["dpi", "dix"].map(String::from).into(),
        })
    }

    fn complete(helper: &ReplHelper, line: &str) -> (usize, Vec<String>) {
        let (start, pairs) =
            helper.candidates(line, line.len(), Path::new(env!("CARGO_MANIFEST_DIR")));
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn sql_words_tables_columns_and_functions() {
        let h = helper();
        assert_eq!(
            complete(&h, "SELECT * FROM short_vol"),
            (
                14,
                vec!["short_volume".into(), "short_volume_consolidated".into()]
            )
        );
        assert_eq!(complete(&h, "sel"), (0, vec!["select".into()]));
        assert_eq!(complete(&h, "SELECT sym"), (7, vec!["symbol".into()]));
        assert_eq!(
            complete(&h, "SELECT d").1,
            ["date", "desc", "describe", "distinct", "dix", "dpi"]
        );
        assert_eq!(complete(&h, "SELECT b.da"), (9, vec!["date".into()]));
        assert_eq!(complete(&h, "SELECT "), (7, vec![]));
    }

    #[test]
    fn commands_only_at_the_start_of_a_statement() {
        let mut h = helper();
        assert_eq!(
            complete(&h, "\\d"),
            (0, vec!["\\d ".into(), "\\dt ".into(), "\\df ".into()])
        );
        assert_eq!(complete(&h, ".ti"), (0, vec![".timer ".into()]));
        assert_eq!(complete(&h, ".describe sh").1.len(), 2);
        assert_eq!(complete(&h, "\\df dp"), (4, vec!["dpi".into()]));
        assert_eq!(
            complete(&h, ".timer o"),
            (7, vec!["on".into(), "off".into()])
        );
        // Inside a statement `.ti` is SQL (a qualified name).
        h.continuation = true;
        assert_eq!(complete(&h, ".ti"), (1, vec!["timestamp".into()]));
    }

    #[test]
    fn run_completes_query_files() {
        let h = helper();
        let (start, files) = complete(&h, ".run queries/dpi_");
        assert_eq!(start, 5);
        assert_eq!(files, vec!["queries/dpi_leaders.sql ".to_string()]);
        let (_, top) = complete(&h, ".run que");
        assert_eq!(top, vec!["queries/".to_string()]);
        // Not a query file: no candidate.
        assert_eq!(complete(&h, ".run Cargo.to").1, Vec::<String>::new());
        // Parameters are not files.
        assert_eq!(
            complete(&h, ".run queries/dix.sql que").1,
            Vec::<String>::new()
        );
    }
}
