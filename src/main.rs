//! The `whalewatch` command: a thin shell over the library. It parses arguments, calls the
//! library, and turns any error into one line on stderr and a non-zero exit.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use cli::progress::{print_summary, TerminalProgress};
use cli::{Cli, Command, OutputArgs};
use whalewatch::config::Config;
use whalewatch::lake::Lake;
use whalewatch::sql::output::{self, Format};
use whalewatch::{commands, ingest, repl, sql, Error, Result};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Colour only for a person at a terminal who has not asked for none.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WHALEWATCH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // DataFusion plans deep query trees recursively (the 13F views stack many CTEs): give the
    // workers more than tokio's default 2 MiB of stack.
    runtime.thread_stack_size(16 * 1024 * 1024);
    if let Some(threads) = cli.threads {
        runtime.worker_threads(threads.max(1));
    }
    let outcome = runtime
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("cannot start the runtime: {e}")))
        .and_then(|runtime| runtime.block_on(run(cli)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {}", error.severity(), error.chain_line());
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let location = config.lake_location(cli.lake.clone());
    // Checked where a session opens: a stray rate setting does not stop an ingest.
    let session = || config.session(cli.threads, cli.risk_free_rate);
    let open = || async { sql::open_session(&Lake::open(&location)?, &session()?).await };
    match cli.command {
        Command::Sql { sql, out } => {
            let ctx = open().await?;
            let started = Instant::now();
            let result = sql::run_script(&ctx, &sql, None).await?;
            print_result(&result, &out, started)
        }
        Command::Run { file, params, out } => {
            let ctx = open().await?;
            let started = Instant::now();
            let result = sql::run_query_file(&ctx, &file, &params).await?;
            print_result(&result, &out, started)
        }
        Command::Tables => {
            print!("{}", commands::tables(&open().await?).await?);
            Ok(())
        }
        Command::Describe { table } => {
            print!("{}", commands::describe(&open().await?, &table).await?);
            Ok(())
        }
        Command::Functions { name } => {
            print!("{}", commands::functions(name.as_deref())?);
            Ok(())
        }
        Command::Repl => {
            let lake = Lake::open(&location)?;
            let ctx = sql::open_session(&lake, &session()?).await?;
            repl::run(&ctx, &lake).await
        }
        Command::Init { directory } => {
            let location = match directory {
                Some(directory) => config.lake_location(Some(directory)),
                None => location,
            };
            let lake = Lake::open_or_create(&location)?;
            eprintln!("a whalewatch lake is ready at {}", lake.root().display());
            Ok(())
        }
        Command::Ingest(ingest) => {
            let lake = Lake::open_or_create(&location)?.with_lock_wait_notice(|root| {
                eprintln!(
                    "waiting for another whalewatch ingest to finish with {}",
                    root.display()
                )
            });
            let progress = TerminalProgress::new();
            let summary = ingest::run(ingest.into(), &lake, &config, &progress).await?;
            drop(progress);
            print_summary(&summary);
            summary.verdict()
        }
    }
}

fn print_result(result: &sql::QueryResult, out: &OutputArgs, started: Instant) -> Result<()> {
    output::write(
        &result.schema,
        &result.batches,
        out.format,
        out.output.as_deref(),
    )?;
    if out.format == Format::Table || out.output.is_some() {
        eprintln!(
            "{} rows in {:.3} s",
            result.rows(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
