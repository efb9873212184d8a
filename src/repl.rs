//! The interactive SQL prompt: statements may span lines and end with `;`; history is kept in
//! `~/.whalewatch_history`. Dot commands: `.tables`, `.describe TABLE`, `.functions`, `.quit`.

use std::path::PathBuf;
use std::time::Instant;

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::sql::output::{self, Format};
use crate::{catalog, commands, sql};

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".whalewatch_history"))
}

pub async fn run(ctx: &SessionContext, lake: &Lake) -> Result<()> {
    let mut editor = DefaultEditor::new()
        .map_err(|e| Error::Config(format!("cannot start the line editor: {e}")))?;
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    eprintln!("whalewatch {} on {}. End statements with ';'. .tables, .describe TABLE, .functions, .refresh, .quit", env!("CARGO_PKG_VERSION"), lake.root().display());
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "whalewatch> "
        } else {
            "        ...> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('.') {
                    let _ = editor.add_history_entry(trimmed);
                    let mut words = trimmed.split_whitespace();
                    let outcome = match (words.next(), words.next()) {
                        (Some(".quit" | ".exit"), _) => break,
                        (Some(".tables"), _) => commands::tables(ctx).await,
                        (Some(".describe"), Some(table)) => commands::describe(ctx, table).await,
                        (Some(".functions"), name) => commands::functions(name),
                        // Newly landed files are seen only after the tables are registered anew.
                        (Some(".refresh"), _) => catalog::register_lake(ctx, lake).await.map(|_| "tables refreshed\n".to_string()),
                        _ => Ok("unknown command; try .tables, .describe TABLE, .functions [NAME], .refresh or .quit\n".to_string()),
                    };
                    match outcome {
                        Ok(text) => print!("{text}"),
                        Err(error) => eprintln!("error: {error}"),
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
                let _ = editor.add_history_entry(statement.trim());
                let started = Instant::now();
                match sql::run_script(ctx, &statement, None).await {
                    Ok(result) => {
                        if let Err(error) =
                            output::write(&result.schema, &result.batches, Format::Table, None)
                        {
                            eprintln!("error: {error}");
                        }
                        eprintln!(
                            "{} rows in {:.3} s",
                            result.rows(),
                            started.elapsed().as_secs_f64()
                        );
                    }
                    Err(error) => eprintln!("error: {error}"),
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(Error::Config(format!("line editor: {error}"))),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}
