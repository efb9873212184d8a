//! The REPL's commands: a line that starts with `.` or `\` at the start of a statement.

use std::path::PathBuf;

use crate::sql::query_file::parse_param_assignment;

/// One command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    Quit,
    Help,
    Tables,
    Describe(String),
    Functions(Option<String>),
    Refresh,
    Run {
        file: PathBuf,
        params: Vec<(String, String)>,
    },
    /// None: show the setting.
    Timer(Option<bool>),
    /// None: show the setting; Some(0): every row.
    MaxRows(Option<usize>),
}

/// Every command word, for `.help`'s list and for completion.
pub const COMMANDS: &[&str] = &[
    ".tables",
    ".describe",
    ".functions",
    ".run",
    ".refresh",
    ".timer",
    ".maxrows",
    ".help",
    ".quit",
    ".exit",
    "\\d",
    "\\dt",
    "\\df",
    "\\?",
    "\\q",
];

pub const HELP: &str = "\
Statements end with ';' and may span lines. Commands, at the start of a statement:
  .tables, \\d, \\dt               list the tables and views
  .describe TABLE, \\d TABLE      a table's columns, partitioning, sort order and key
  .functions [NAME], \\df [NAME]  whalewatch's functions, or one in full
  .run FILE [NAME=VALUE ...]     run a query file, binding its parameters
  .refresh                       register files landed since the session started
  .timer on|off                  print rows and time after each result (on)
  .maxrows N                     print at most N rows of a result (40; 0: all)
  .help, \\?                      this list
  .quit, .exit, \\q               leave (so does Ctrl-D)
Keys: Tab completes SQL words, tables, columns, functions, commands and .run's files;
Ctrl-C cancels a running query, or clears the statement being typed; Ctrl-D leaves.
";

/// Parses a command line (one that starts with `.` or `\`); the error is the message to show.
pub fn parse(line: &str) -> Result<Meta, String> {
    // `\dt;` out of SQL habit means `\dt`.
    let line = line.trim().trim_end_matches(';');
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let no_args = |meta: Meta| {
        if args.is_empty() {
            Ok(meta)
        } else {
            Err(format!("{command} takes no argument"))
        }
    };
    let at_most_one = |meta: fn(Option<String>) -> Meta| match args.as_slice() {
        [] => Ok(meta(None)),
        [one] => Ok(meta(Some(one.to_string()))),
        _ => Err(format!("{command} takes at most one argument")),
    };
    match command {
        ".quit" | ".exit" | "\\q" => no_args(Meta::Quit),
        ".help" | "\\?" => no_args(Meta::Help),
        ".tables" | "\\dt" => no_args(Meta::Tables),
        ".refresh" => no_args(Meta::Refresh),
        "\\d" => at_most_one(|name| name.map_or(Meta::Tables, Meta::Describe)),
        ".describe" => match args.as_slice() {
            [table] => Ok(Meta::Describe(table.to_string())),
            _ => Err(".describe takes a table: .describe TABLE".to_string()),
        },
        ".functions" | "\\df" => at_most_one(Meta::Functions),
        ".run" => match args.split_first() {
            Some((file, params)) => Ok(Meta::Run {
                file: PathBuf::from(file),
                params: params
                    .iter()
                    .map(|p| parse_param_assignment(p))
                    .collect::<Result<_, _>>()?,
            }),
            None => Err(".run takes a query file: .run FILE [NAME=VALUE ...]".to_string()),
        },
        ".timer" => match args.as_slice() {
            [] => Ok(Meta::Timer(None)),
            ["on"] => Ok(Meta::Timer(Some(true))),
            ["off"] => Ok(Meta::Timer(Some(false))),
            _ => Err(".timer takes on or off".to_string()),
        },
        ".maxrows" => match args.as_slice() {
            [] => Ok(Meta::MaxRows(None)),
            [n] => n
                .parse()
                .map(|n| Meta::MaxRows(Some(n)))
                .map_err(|_| format!(".maxrows takes a number of rows (0: all), not {n:?}")),
            _ => Err(".maxrows takes one number".to_string()),
        },
        _ => Err(format!(
            "unknown command {command:?}; .help lists the commands"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_and_dot_commands() {
        assert_eq!(parse("\\d"), Ok(Meta::Tables));
        assert_eq!(parse("\\dt;"), Ok(Meta::Tables));
        assert_eq!(parse("  .tables  "), Ok(Meta::Tables));
        assert_eq!(
            parse("\\d short_volume"),
            Ok(Meta::Describe("short_volume".into()))
        );
        assert_eq!(
            parse(".describe short_volume"),
            Ok(Meta::Describe("short_volume".into()))
        );
        assert_eq!(parse("\\df"), Ok(Meta::Functions(None)));
        assert_eq!(
            parse(".functions dpi"),
            Ok(Meta::Functions(Some("dpi".into())))
        );
        assert_eq!(parse("\\q"), Ok(Meta::Quit));
        assert_eq!(parse(".exit"), Ok(Meta::Quit));
        assert_eq!(parse("\\?"), Ok(Meta::Help));
        assert_eq!(parse(".timer off"), Ok(Meta::Timer(Some(false))));
        assert_eq!(parse(".maxrows 0"), Ok(Meta::MaxRows(Some(0))));
        assert_eq!(
            parse(".run queries/dpi_leaders.sql top=3 from=2021-01-04"),
            Ok(Meta::Run {
                file: "queries/dpi_leaders.sql".into(),
                params: vec![
                    ("top".into(), "3".into()),
                    ("from".into(), "2021-01-04".into())
                ],
            })
        );
    }

    #[test]
    fn mistakes_are_told() {
        assert!(parse("\\x").unwrap_err().contains(".help"));
        assert!(parse(".maxrows many").unwrap_err().contains("not \"many\""));
        assert!(parse(".timer maybe").is_err());
        assert!(parse(".describe").is_err());
        assert!(parse(".run").is_err());
        assert!(parse(".run q.sql top").unwrap_err().contains("NAME=VALUE"));
        assert!(parse(".quit now").is_err());
    }

    #[test]
    fn help_lists_every_command() {
        for command in COMMANDS {
            assert!(HELP.contains(command), "{command} missing from .help");
        }
    }
}
