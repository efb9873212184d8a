//! The command line's shape: clap's types, and how an `ingest` subcommand becomes the library's
//! [`IngestJob`]. Nothing here decides anything an ingest or a query needs.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use whalewatch::collect::finra::short_volume::Facility;
use whalewatch::collect::reference::bars;
use whalewatch::collect::tapes::option_chains;
use whalewatch::ingest::IngestJob;
use whalewatch::sql::output::Format;
use whalewatch::sql::query_file::parse_param_assignment;
use whalewatch::sql::MemoryLimit;

pub mod progress;

fn parse_memory_limit(text: &str) -> Result<MemoryLimit, String> {
    text.parse()
}

#[derive(Parser)]
#[command(name = "whalewatch", version, about = "Track institutional money with SQL", long_about = None)]
pub struct Cli {
    /// The lake's directory [default: $WHALEWATCH_LAKE, `lake` in the config file, or ./data]
    #[arg(long, global = true)]
    pub lake: Option<String>,
    /// Config file [default: ./whalewatch.toml, then ~/.config/whalewatch/config.toml]
    #[arg(long, global = true, env = "WHALEWATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Threads for queries [default: every core]
    #[arg(long, global = true, env = "WHALEWATCH_THREADS")]
    pub threads: Option<usize>,
    /// The rate options_flow prices its Greeks with, as a decimal [default: 0.04, or
    /// options.risk_free_rate in the config file]
    #[arg(long, global = true, env = "WHALEWATCH_RISK_FREE_RATE")]
    pub risk_free_rate: Option<f64>,
    /// The memory a query may hold at once (sorts, joins and aggregates spill to disk before
    /// it fails): 4GiB, 500MB, 25% of RAM, or none [default: query.memory_limit in the config
    /// file, or 50% of RAM]
    #[arg(long, global = true, env = "WHALEWATCH_MEMORY_LIMIT", value_parser = parse_memory_limit)]
    pub memory_limit: Option<MemoryLimit>,
    /// Where queries spill to disk [default: query.spill_directory in the config file, or the
    /// system's temporary directory]
    #[arg(long, global = true, env = "WHALEWATCH_SPILL_DIR")]
    pub spill_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the result to this file instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Make a directory an empty lake (ingests also create the lake they write to)
    Init {
        /// The directory [default: the lake of --lake, $WHALEWATCH_LAKE or the config file]
        directory: Option<String>,
    },
    /// Collect a feed into the lake
    #[command(subcommand)]
    Ingest(Ingest),
}

#[derive(Subcommand)]
pub enum Ingest {
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

impl From<Ingest> for IngestJob {
    fn from(ingest: Ingest) -> IngestJob {
        match ingest {
            Ingest::FinraShortVolume {
                date,
                from,
                to,
                facility,
                file,
                base_url,
                without_trailer,
            } => IngestJob::FinraShortVolume {
                date,
                from,
                to,
                facilities: facility,
                files: file,
                base_url,
                without_trailer,
            },
            Ingest::Bars {
                file,
                symbol,
                timeframe,
                columns,
            } => IngestJob::Bars {
                files: file,
                options: bars::BarsOptions {
                    symbol,
                    timeframe,
                    column_map: columns,
                },
            },
            Ingest::OptionTrades {
                file,
                quotes,
                time_zone,
                columns,
            } => IngestJob::OptionTrades {
                files: file,
                quotes,
                time_zone,
                columns,
            },
            Ingest::EquityTrades {
                file,
                date,
                time_zone,
                off_exchange_code,
                columns,
            } => IngestJob::EquityTrades {
                files: file,
                date,
                time_zone,
                off_exchange_codes: off_exchange_code,
                columns,
            },
            Ingest::OpenInterest {
                file,
                date,
                underlying,
                columns,
            } => IngestJob::OpenInterest {
                files: file,
                options: option_chains::ChainOptions {
                    date,
                    underlying,
                    column_map: columns,
                },
            },
            Ingest::CboePutCall { file, product } => IngestJob::CboePutCall {
                files: file,
                product,
            },
            Ingest::FinraAts {
                file,
                week,
                venue_type,
                tier,
                base_url,
            } => IngestJob::FinraAts {
                files: file,
                weeks: week,
                venue_type,
                tiers: tier,
                base_url,
            },
            Ingest::Sec13f {
                quarter,
                date,
                since,
                cik,
                file,
                base_url,
            } => IngestJob::Sec13f {
                quarters: quarter,
                dates: date,
                since,
                ciks: cik,
                files: file,
                base_url,
            },
            Ingest::Sec13fBulk {
                data_set,
                file,
                base_url,
            } => IngestJob::Sec13fBulk {
                data_sets: data_set,
                files: file,
                base_url,
            },
            Ingest::Securities { file } => IngestJob::Securities { files: file },
            Ingest::ManagerTypes { file } => IngestJob::ManagerTypes { files: file },
            Ingest::Baskets { file, name } => IngestJob::Baskets { files: file, name },
        }
    }
}
