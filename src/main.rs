//! The `whalewatch` command: a thin shell over the library. It parses arguments, calls the
//! library, and turns any error into one line on stderr and a non-zero exit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use whalewatch::collect::finra_ats;
use whalewatch::collect::finra_short_volume::{self, Facility};
use whalewatch::collect::http::HttpClient;
use whalewatch::collect::{
    bars, baskets, cboe_put_call, equity_trades, manager_types, option_chains, option_trades,
    sec_13f, sec_13f_bulk, securities, IngestReport,
};
use whalewatch::config::Config;
use whalewatch::lake::Lake;
use whalewatch::sql::output::{self, Format};
use whalewatch::sql::query_file::{parse_param_assignment, QueryFile};
use whalewatch::{commands, repl, sql, Error, Result};

#[derive(Parser)]
#[command(name = "whalewatch", version, about = "Track institutional money with SQL", long_about = None)]
struct Cli {
    /// The lake's root directory [default: ./data, or `lake` in the config file]
    #[arg(long, global = true, env = "WHALEWATCH_LAKE")]
    lake: Option<PathBuf>,
    /// Config file [default: ./whalewatch.toml, then ~/.config/whalewatch/config.toml]
    #[arg(long, global = true, env = "WHALEWATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Threads for queries [default: every core]
    #[arg(long, global = true, env = "WHALEWATCH_THREADS")]
    threads: Option<usize>,
    /// The rate options_flow prices its Greeks with, as a decimal [default: 0.04, or
    /// options.risk_free_rate in the config file]
    #[arg(long, global = true, env = "WHALEWATCH_RISK_FREE_RATE")]
    risk_free_rate: Option<f64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the result to this file instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run SQL (several statements may be separated by `;`; the last one's result is printed)
    Sql {
        sql: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run a query file, binding its declared parameters
    Run {
        file: PathBuf,
        /// NAME=VALUE for a parameter the file declares (repeatable)
        #[arg(long = "param", short = 'p', value_parser = parse_param_assignment)]
        params: Vec<(String, String)>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// List the tables and views
    Tables,
    /// Show a table's columns, partitioning, sort order and key
    Describe { table: String },
    /// List whalewatch's SQL functions, or show one in full
    Functions { name: Option<String> },
    /// Interactive SQL (multi-line, history in ~/.whalewatch_history)
    Repl,
    /// Collect a feed into the lake
    #[command(subcommand)]
    Ingest(Ingest),
}

#[derive(Subcommand)]
enum Ingest {
    /// FINRA Reg SHO daily short-sale volume (dataset short_volume)
    FinraShortVolume {
        /// One trading day
        #[arg(long, conflicts_with_all = ["from", "to", "file"])]
        date: Option<NaiveDate>,
        /// First day of a range
        #[arg(long, requires = "to", conflicts_with = "file")]
        from: Option<NaiveDate>,
        /// Last day of a range
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
        /// Facility files to fetch (repeatable; CNMS is the consolidated file). For --file: the
        /// facility of the files when their names do not start with it.
        #[arg(long, value_delimiter = ',')]
        facility: Vec<Facility>,
        /// Local files instead of downloads
        #[arg(long, num_args = 1..)]
        file: Vec<PathBuf>,
        /// Base URL of the daily files [default: FINRA's CDN, or finra.short_volume_base_url]
        #[arg(long)]
        base_url: Option<String>,
        /// Accept local files without FINRA's record-count trailer (files re-cut by third parties)
        #[arg(long, requires = "file")]
        without_trailer: bool,
    },
    /// OHLCV bars from CSV or Parquet (dataset bars)
    Bars {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The symbol, for files without a symbol column
        #[arg(long)]
        symbol: Option<String>,
        /// The bars' timeframe (1d, 1m, 5m, 1h…); date-only files default to 1d
        #[arg(long, alias = "interval")]
        timeframe: Option<String>,
        /// COLUMN=HEADER: which header holds date, symbol, open, high, low, close or volume
        #[arg(long = "column", value_parser = parse_param_assignment)]
        columns: Vec<(String, String)>,
    },
    /// Option trade tapes from CSV or Parquet: LiveVol time and sales, Polygon trades (with
    /// --quotes for the NBBO), or any layout named with --column (dataset option_trades)
    OptionTrades {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// Quote files (Polygon style) for the NBBO of prints without one: an as-of join, and
        /// the quotes land in option_quotes
        #[arg(long, num_args = 1..)]
        quotes: Vec<PathBuf>,
        /// Zone of times written without a UTC offset (LiveVol's are New York time already)
        #[arg(long)]
        time_zone: Option<String>,
        /// TARGET=HEADER: which header holds contract, underlying, root, expiry, strike, right,
        /// ts, seq, exchange, size, price, condition, bid, ask, underlying_bid or underlying_ask
        #[arg(long = "column", value_parser = parse_param_assignment)]
        columns: Vec<(String, String)>,
    },
    /// Equity trade tapes from CSV, gzip'd CSV or Parquet: NYSE TAQ (WRDS/NYSE CSV extracts and
    /// Daily TAQ pipe files), Polygon flat files, or any layout named with --column (dataset
    /// equity_trades)
    EquityTrades {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The trading date of files whose rows have only a time of day and whose name has no date
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Zone of dates and times written without a UTC offset (TAQ's are New York time already)
        #[arg(long)]
        time_zone: Option<String>,
        /// An exchange code that marks off-exchange prints in a mapped layout (repeatable;
        /// D, FINRA, ADF, TRF, XADF, FINN, FINY and FINC always do)
        #[arg(long)]
        off_exchange_code: Vec<String>,
        /// TARGET=HEADER: which header holds symbol, suffix, date, time, ts, exchange, size,
        /// price, conditions, correction, seq or trf
        #[arg(long = "column", value_parser = parse_param_assignment)]
        columns: Vec<(String, String)>,
    },
    /// Open interest from option chain files: LiveVol end-of-day, CBOE delayed-quote CSV, or
    /// any layout named with --column (dataset open_interest)
    OpenInterest {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The chain's date, for files without a date column or a date in their name
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The underlying, for files without symbols (CBOE delayed-quote CSV not named SYMBOL_DATE)
        #[arg(long)]
        underlying: Option<String>,
        /// TARGET=HEADER: which header holds contract, underlying, root, date, expiry, dte,
        /// strike, right, open_interest, volume, underlying_price, gamma or implied_vol
        #[arg(long = "column", value_parser = parse_param_assignment)]
        columns: Vec<(String, String)>,
    },
    /// CBOE's daily put/call history CSVs: totalpc, equitypc, indexpc, vixpc, etppc
    /// (dataset put_call_cboe)
    CboePutCall {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The product (TOTAL, EQUITY, INDEX, VIX, ETP) when the file does not say it
        #[arg(long)]
        product: Option<String>,
    },
    /// FINRA's OTC transparency data: weekly shares and trades per security and ATS (or non-ATS
    /// firm), from the pipe-delimited or CSV files of FINRA's site (dataset ats_weekly)
    #[command(name = "finra-ats")]
    FinraAts {
        /// Files downloaded from FINRA's site (without --file: FINRA's query API)
        #[arg(long, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The Monday a week starts on: for a downloaded file, its week; for the API, the week to
        /// fetch (repeatable)
        #[arg(long)]
        week: Vec<NaiveDate>,
        /// ats or non-ats, for files without summaryTypeCode [default: ats]
        #[arg(long)]
        venue_type: Option<String>,
        /// The tiers to fetch from the API (repeatable) [default: T1, T2, OTCE]
        #[arg(long, value_delimiter = ',')]
        tier: Vec<String>,
        /// FINRA's API host [default: finra.api_base_url, or https://api.finra.org]
        #[arg(long)]
        base_url: Option<String>,
    },
    /// SEC Form 13F filings from EDGAR full submissions (.txt, .nc) (datasets filings_13f,
    /// holdings_13f)
    #[command(name = "sec-13f")]
    Sec13f {
        /// A calendar quarter of EDGAR's form index, as 2024Q4 (repeatable)
        #[arg(long, conflicts_with = "file")]
        quarter: Vec<String>,
        /// One day of EDGAR's daily form index (repeatable)
        #[arg(long, conflicts_with = "file")]
        date: Vec<NaiveDate>,
        /// Every weekday's daily form index from this date through today
        #[arg(long, conflicts_with = "file")]
        since: Option<NaiveDate>,
        /// Only these filers (CIK, with or without leading zeros; repeatable)
        #[arg(long, value_delimiter = ',')]
        cik: Vec<String>,
        /// Local full submissions (.txt, .nc) instead of EDGAR
        #[arg(long, num_args = 1..)]
        file: Vec<PathBuf>,
        /// EDGAR's host [default: https://www.sec.gov]
        #[arg(long)]
        base_url: Option<String>,
    },
    /// The SEC's Form 13F data sets: quarterly or three-month ZIPs of SUBMISSION, COVERPAGE,
    /// SUMMARYPAGE and INFOTABLE TSVs (datasets filings_13f, holdings_13f)
    #[command(name = "sec-13f-bulk")]
    Sec13fBulk {
        /// A data set as the SEC names it: 2024q3, or 01sep2024-30nov2024 (repeatable)
        #[arg(long = "data-set", conflicts_with = "file")]
        data_set: Vec<String>,
        /// Local data set ZIPs (as downloaded: the file name names the data set)
        #[arg(long, num_args = 1..)]
        file: Vec<PathBuf>,
        /// EDGAR's host [default: https://www.sec.gov]
        #[arg(long)]
        base_url: Option<String>,
    },
    /// The security master from CSV: cusip,symbol,name,shares_outstanding[,valid_from,valid_to]
    /// (dataset securities)
    Securities {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
    },
    /// Your classification of 13F managers from CSV: cik,type[,name] (dataset manager_types)
    ManagerTypes {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
    },
    /// Baskets of symbols from CSV: basket,symbol[,weight] (dataset baskets)
    Baskets {
        #[arg(long, required = true, num_args = 1..)]
        file: Vec<PathBuf>,
        /// The basket's name, for files without a basket column
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WHALEWATCH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
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
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let lake = Lake::new(config.lake_root(cli.lake));
    // Checked where a session opens: a stray rate setting does not stop an ingest.
    let session = || config.session(cli.threads, cli.risk_free_rate);
    match cli.command {
        Command::Sql { sql, out } => {
            let ctx = sql::open_session(&lake, &session()?).await?;
            let started = Instant::now();
            let result = sql::run_script(&ctx, &sql, None).await?;
            print_result(&result, &out, started)
        }
        Command::Run { file, params, out } => {
            let query = QueryFile::load(&file)?;
            let values = query.bind(&params)?;
            let ctx = sql::open_session(&lake, &session()?).await?;
            let started = Instant::now();
            let sql = query.sql_with_table_function_dates(&values);
            let result = sql::run_script(&ctx, &sql, Some(&values)).await?;
            print_result(&result, &out, started)
        }
        Command::Tables => {
            let ctx = sql::open_session(&lake, &session()?).await?;
            print!("{}", commands::tables(&ctx).await?);
            Ok(())
        }
        Command::Describe { table } => {
            let ctx = sql::open_session(&lake, &session()?).await?;
            print!("{}", commands::describe(&ctx, &table).await?);
            Ok(())
        }
        Command::Functions { name } => {
            print!("{}", commands::functions(name.as_deref())?);
            Ok(())
        }
        Command::Repl => {
            let ctx = sql::open_session(&lake, &session()?).await?;
            repl::run(&ctx, &lake).await
        }
        Command::Ingest(ingest) => {
            // Every run's report is printed, then the first failure decides the exit.
            let reports = run_ingest(ingest, &config, &lake).await?;
            let outcomes: Vec<Result<()>> = reports.iter().map(print_report).collect();
            outcomes.into_iter().collect()
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

async fn run_ingest(ingest: Ingest, config: &Config, lake: &Lake) -> Result<Vec<IngestReport>> {
    match ingest {
        Ingest::OptionTrades {
            file,
            quotes,
            time_zone,
            columns,
        } => {
            let time_zone = time_zone.as_deref().map(parse_time_zone).transpose()?;
            let options = option_trades::OptionTradesOptions {
                quotes,
                column_map: columns,
                time_zone,
            };
            let report = option_trades::ingest_files(lake, &file, &options)?;
            Ok(report.quotes.into_iter().chain([report.trades]).collect())
        }
        Ingest::EquityTrades {
            file,
            date,
            time_zone,
            off_exchange_code,
            columns,
        } => {
            let options = equity_trades::EquityTradesOptions {
                column_map: columns,
                time_zone: time_zone.as_deref().map(parse_time_zone).transpose()?,
                date,
                off_exchange_codes: off_exchange_code,
            };
            let outcome = equity_trades::ingest_files(lake, &file, &options)?;
            if outcome.voided > 0 {
                eprintln!(
                    "{} prints voided by corrections and cancels did not land; they are in \
                     rejected_records with the reason 'voided: …'",
                    outcome.voided
                );
            }
            Ok(vec![outcome.report])
        }
        Ingest::OpenInterest {
            file,
            date,
            underlying,
            columns,
        } => {
            let options = option_chains::ChainOptions {
                date,
                underlying,
                column_map: columns,
            };
            Ok(vec![option_chains::ingest_files(lake, &file, &options)?])
        }
        Ingest::Securities { file } => Ok(vec![securities::ingest_files(lake, &file)?]),
        Ingest::ManagerTypes { file } => Ok(vec![manager_types::ingest_files(lake, &file)?]),
        Ingest::Sec13f {
            quarter,
            date,
            since,
            cik,
            file,
            base_url,
        } => {
            if !file.is_empty() {
                return Ok(vec![sec_13f::ingest_files(lake, &file)?]);
            }
            let mut spans = quarter
                .iter()
                .map(|q| sec_13f::IndexSpan::parse_quarter(q))
                .collect::<Result<Vec<_>>>()?;
            spans.extend(date.into_iter().map(sec_13f::IndexSpan::Day));
            if let Some(since) = since {
                spans.extend(sec_13f::IndexSpan::weekdays_since(
                    since,
                    chrono::Utc::now().date_naive(),
                ));
            }
            if spans.is_empty() {
                return Err(Error::Usage(
                    "give --quarter 2024Q4, --date YYYY-MM-DD, --since YYYY-MM-DD or --file PATH"
                        .to_string(),
                ));
            }
            let http_config = config.http();
            sec_13f::check_user_agent(&http_config.user_agent)?;
            let http = HttpClient::new(http_config)?;
            let progress = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} filings {msg}")
                    .map_err(|e| Error::Config(e.to_string()))?,
            );
            let base_url = base_url.unwrap_or_else(|| sec_13f::EDGAR_BASE_URL.to_string());
            Ok(vec![
                sec_13f::ingest_edgar(lake, &http, &base_url, &spans, &cik, &progress).await?,
            ])
        }
        Ingest::FinraAts {
            file,
            week,
            venue_type,
            tier,
            base_url,
        } => {
            if !file.is_empty() {
                if week.len() > 1 {
                    return Err(Error::Usage(
                        "a downloaded file is one week: give one --week".to_string(),
                    ));
                }
                let options = finra_ats::AtsOptions {
                    week: week.first().copied(),
                    venue_type: venue_type
                        .as_deref()
                        .map(finra_ats::VenueType::parse)
                        .transpose()?,
                };
                return Ok(vec![finra_ats::ingest_files(lake, &file, &options)?]);
            }
            if week.is_empty() {
                return Err(Error::Usage(
                    "give --file PATH (a download) or --week YYYY-MM-DD (from FINRA's API)"
                        .to_string(),
                ));
            }
            let tiers = if tier.is_empty() {
                vec!["T1".to_string(), "T2".to_string(), "OTCE".to_string()]
            } else {
                tier.iter().map(|t| t.trim().to_ascii_uppercase()).collect()
            };
            let http = HttpClient::new(config.http())?;
            let base_url = config.finra_api_base_url(base_url);
            let credentials = config.finra_api_credentials()?;
            Ok(vec![
                finra_ats::ingest_api(
                    lake,
                    &http,
                    &base_url,
                    credentials.as_ref(),
                    &week,
                    &tiers,
                    5000,
                )
                .await?,
            ])
        }
        Ingest::Sec13fBulk {
            data_set,
            file,
            base_url,
        } => {
            if !file.is_empty() {
                return Ok(vec![sec_13f_bulk::ingest_files(lake, &file)?]);
            }
            if data_set.is_empty() {
                return Err(Error::Usage(
                    "give --data-set 2024q3 (as the SEC names it) or --file PATH.zip".to_string(),
                ));
            }
            let names = data_set
                .iter()
                .map(|name| sec_13f_bulk::data_set_name(name))
                .collect::<Result<Vec<_>>>()?;
            let http_config = config.http();
            sec_13f::check_user_agent(&http_config.user_agent)?;
            let http = HttpClient::new(http_config)?;
            let base_url = base_url.unwrap_or_else(|| sec_13f::EDGAR_BASE_URL.to_string());
            Ok(vec![
                sec_13f_bulk::ingest_remote(lake, &http, &base_url, &names).await?,
            ])
        }
        Ingest::CboePutCall { file, product } => Ok(vec![cboe_put_call::ingest_files(
            lake,
            &file,
            product.as_deref(),
        )?]),
        other => Ok(vec![run_single_ingest(other, config, lake).await?]),
    }
}

async fn run_single_ingest(ingest: Ingest, config: &Config, lake: &Lake) -> Result<IngestReport> {
    match ingest {
        Ingest::FinraShortVolume {
            date,
            from,
            to,
            facility,
            file,
            base_url,
            without_trailer,
        } => {
            if !file.is_empty() {
                let facility = match facility.as_slice() {
                    [] => None,
                    [one] => Some(*one),
                    _ => {
                        return Err(Error::Usage(
                            "with --file, give at most one --facility".to_string(),
                        ))
                    }
                };
                return finra_short_volume::ingest_files(lake, &file, facility, !without_trailer);
            }
            let dates = match (date, from, to) {
                (Some(date), _, _) => vec![date],
                (None, Some(from), Some(to)) if from <= to => {
                    finra_short_volume::weekdays(from, to)
                }
                (None, Some(from), Some(to)) => {
                    return Err(Error::Usage(format!("--from {from} is after --to {to}")));
                }
                _ => {
                    return Err(Error::Usage(
                        "give --date D, --from D --to D, or --file PATH".to_string(),
                    ))
                }
            };
            let facilities = if facility.is_empty() {
                vec![Facility::Cnms]
            } else {
                facility
            };
            let http = HttpClient::new(config.http())?;
            let base_url = base_url.unwrap_or_else(|| config.finra_short_volume_base_url());
            let progress = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} files {msg} ({eta} left)",
                )
                .map_err(|e| Error::Config(e.to_string()))?,
            );
            finra_short_volume::ingest_dates(lake, &http, &base_url, &facilities, &dates, &progress)
                .await
        }
        Ingest::Bars {
            file,
            symbol,
            timeframe,
            columns,
        } => {
            let options = bars::BarsOptions {
                symbol,
                timeframe,
                column_map: columns,
            };
            bars::ingest_files(lake, &file, &options)
        }
        Ingest::Baskets { file, name } => baskets::ingest_files(lake, &file, name.as_deref()),
        Ingest::OptionTrades { .. }
        | Ingest::EquityTrades { .. }
        | Ingest::OpenInterest { .. }
        | Ingest::CboePutCall { .. }
        | Ingest::Sec13f { .. }
        | Ingest::Sec13fBulk { .. }
        | Ingest::FinraAts { .. }
        | Ingest::Securities { .. }
        | Ingest::ManagerTypes { .. } => {
            unreachable!("run_ingest handles these")
        }
    }
}

fn parse_time_zone(zone: &str) -> Result<chrono_tz::Tz> {
    zone.parse::<chrono_tz::Tz>().map_err(|_| {
        Error::Usage(format!(
            "--time-zone {zone:?} is not a zone name such as America/New_York or UTC"
        ))
    })
}

fn print_report(report: &IngestReport) -> Result<()> {
    for (source, message) in &report.failures {
        // Parse errors already name the source (with line and field); others need it.
        if message.starts_with(source.as_str()) {
            eprintln!("failed: {message}");
        } else {
            eprintln!("failed: {source}: {message}");
        }
    }
    let not_published = match report.not_published {
        0 => String::new(),
        n => format!(", {n} not published"),
    };
    eprintln!(
        "ingest {}: {} of {} sources landed{not_published}, {} rows written, {} rows rejected",
        report.ingest_id, report.landed, report.sources, report.rows_written, report.rows_rejected
    );
    if report.rows_rejected > 0 {
        eprintln!(
            "the rejected records are in: SELECT * FROM rejected_records WHERE ingest_id = '{}'",
            report.ingest_id
        );
    }
    if !report.failures.is_empty() {
        return Err(Error::IngestFailed {
            failed: report.failures.len(),
            total: report.sources,
        });
    }
    Ok(())
}
