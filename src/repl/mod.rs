//! The interactive SQL prompt: statements may span lines and end with `;`. A line that starts
//! with `.` or `\` at the start of a statement is a command (`.help` lists them). Ctrl-C cancels
//! a running query and keeps the session; Tab completes. The history is written after every
//! entry, to `$WHALEWATCH_HISTORY` or `~/.whalewatch_history`.

mod cancel;
mod complete;
mod meta;

use std::path::PathBuf;
use std::time::Instant;

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::sql::output;
use crate::sql::query_file::QueryFile;
use crate::{catalog, commands, sql};

use cancel::cancellable;
use complete::{Names, ReplHelper};
use meta::Meta;

/// The width results are fitted to when the terminal's is unknown.
const DEFAULT_WIDTH: usize = 120;

/// What Ctrl-C during a query prints; on its own line, after the terminal's "^C".
const CANCELLED: &str = "\ncancelled";

/// `.timer` and `.maxrows`.
struct Settings {
    timer: bool,
    /// 0: every row.
    max_rows: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timer: true,
            max_rows: 40,
        }
    }
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("WHALEWATCH_HISTORY")
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".whalewatch_history"))
        })
}

pub async fn run(ctx: &SessionContext, lake: &Lake) -> Result<()> {
    let config = Config::builder()
        // Bash-like: the common prefix, then the list on a second Tab.
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| Error::Config(format!("cannot start the line editor: {e}")))?;
    editor.set_helper(Some(ReplHelper::new(Names::gather(ctx).await)));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    cancel::listen();
    eprintln!(
        "whalewatch {} on {}. End statements with ';'. .help lists the commands; Tab completes; Ctrl-C cancels a query; Ctrl-D leaves.",
        env!("CARGO_PKG_VERSION"),
        lake.root().display()
    );
    let mut settings = Settings::default();
    let mut buffer = String::new();
    loop {
        if let Some(helper) = editor.helper_mut() {
            helper.continuation = !buffer.is_empty();
        }
        let prompt = if buffer.is_empty() {
            "whalewatch> "
        } else {
            "        ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(Error::Config(format!("line editor: {error}"))),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with(['.', '\\']) {
            remember(&mut editor, history.as_ref(), trimmed);
            match meta::parse(trimmed) {
                Ok(Meta::Quit) => break,
                Ok(command) => {
                    if let Err(error) =
                        command_run(ctx, lake, &mut editor, &mut settings, command).await
                    {
                        eprintln!("error: {error}");
                    }
                }
                Err(message) => eprintln!("error: {message}"),
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let statement = std::mem::take(&mut buffer);
        remember(&mut editor, history.as_ref(), statement.trim());
        let started = Instant::now();
        let session = ctx.clone();
        let mut writer = match result_writer(&settings) {
            Ok(writer) => writer,
            Err(error) => {
                eprintln!("error: {error}");
                continue;
            }
        };
        let run = async move {
            let ran = sql::run_script_into(&session, &statement, None, &mut writer).await;
            (ran, writer)
        };
        match cancellable(run).await {
            Some((Ok(_), writer)) => print_summary(&writer, &settings, started),
            Some((Err(error), _)) => eprintln!("error: {}", error.chain_line()),
            None => eprintln!("{CANCELLED}"),
        }
    }
    Ok(())
}

/// Adds an entry to the history and writes it out at once, so that a session that ends badly
/// (or one run beside it) still has it.
fn remember(editor: &mut Editor<ReplHelper, DefaultHistory>, path: Option<&PathBuf>, entry: &str) {
    let _ = editor.add_history_entry(entry);
    if let Some(path) = path {
        if let Err(error) = editor.append_history(path) {
            eprintln!(
                "warning: cannot write the history to {}: {error}",
                path.display()
            );
        }
    }
}

/// Runs a command other than `.quit`.
async fn command_run(
    ctx: &SessionContext,
    lake: &Lake,
    editor: &mut Editor<ReplHelper, DefaultHistory>,
    settings: &mut Settings,
    command: Meta,
) -> Result<()> {
    let text = match command {
        Meta::Quit => return Ok(()),
        Meta::Help => meta::HELP.to_string(),
        Meta::Tables => {
            let session = ctx.clone();
            match cancellable(async move { commands::tables(&session).await }).await {
                Some(text) => text?,
                None => {
                    eprintln!("{CANCELLED}");
                    return Ok(());
                }
            }
        }
        Meta::Describe(table) => commands::describe(ctx, &table).await?,
        Meta::Functions(name) => commands::functions(name.as_deref())?,
        Meta::Refresh => {
            // Not cancellable: stopping half-way would leave some tables unregistered.
            catalog::register_lake(ctx, lake).await?;
            let names = Names::gather(ctx).await;
            if let Some(helper) = editor.helper_mut() {
                helper.names = names;
            }
            "tables refreshed\n".to_string()
        }
        Meta::Run { file, params } => {
            let query = QueryFile::load(&file)?;
            let values = query.bind(&params)?;
            let sql = query.sql_with_table_function_dates(&values);
            let started = Instant::now();
            let session = ctx.clone();
            let mut writer = result_writer(settings)?;
            let run = async move {
                let ran = sql::run_script_into(&session, &sql, Some(&values), &mut writer).await;
                (ran, writer)
            };
            match cancellable(run).await {
                Some((ran, writer)) => {
                    ran?;
                    print_summary(&writer, settings, started);
                }
                None => eprintln!("{CANCELLED}"),
            }
            return Ok(());
        }
        Meta::Timer(on) => {
            if let Some(on) = on {
                settings.timer = on;
            }
            format!("timer {}\n", if settings.timer { "on" } else { "off" })
        }
        Meta::MaxRows(rows) => {
            if let Some(rows) = rows {
                settings.max_rows = rows;
            }
            match settings.max_rows {
                0 => "maxrows 0 (every row)\n".to_string(),
                n => format!("maxrows {n}\n"),
            }
        }
    };
    print!("{text}");
    Ok(())
}

/// A result as a table fitted to the terminal, at most `.maxrows` rows of it, printed as its
/// rows come.
fn result_writer(settings: &Settings) -> Result<output::ResultWriter> {
    let width = output::terminal_width().unwrap_or(DEFAULT_WIDTH);
    let limit = (settings.max_rows > 0).then_some(settings.max_rows);
    output::ResultWriter::terminal_table(width, limit)
}

/// After the table: how many rows were not shown, then the time when `.timer` is on.
fn print_summary(writer: &output::ResultWriter, settings: &Settings, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64();
    let rows = writer.rows();
    let shown = writer.rows_shown();
    if rows > shown {
        println!("{rows} rows fetched (first {shown} shown; .maxrows to change)");
    }
    if settings.timer {
        eprintln!("{rows} rows in {elapsed:.3} s");
    }
}
