//! The datasets the lake holds: for each, its columns, partition column, sort order and natural
//! key. Collectors write by these definitions and the catalog registers them; nothing else
//! decides a dataset's shape.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// One dataset of the lake.
#[derive(Debug)]
pub struct DatasetSpec {
    /// The table name users type.
    pub name: &'static str,
    pub description: &'static str,
    /// Columns stored in the Parquet files (the partition column is in the path, not the file).
    fields: fn() -> Vec<Field>,
    /// Hive partition column and its type: `<dataset>/<column>=<value>/`.
    pub partition: Option<(&'static str, DataType)>,
    /// Order of the rows inside every file, declared to DataFusion.
    pub sort_order: &'static [&'static str],
    /// The columns that identify a row: re-ingesting a row with the same key replaces it.
    pub natural_key: &'static [&'static str],
}

impl DatasetSpec {
    /// The schema of the Parquet files.
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new((self.fields)()))
    }

    /// The schema users see: the file columns, then the partition column.
    pub fn table_schema(&self) -> SchemaRef {
        let mut fields = (self.fields)();
        if let Some((name, data_type)) = &self.partition {
            fields.push(Field::new(*name, data_type.clone(), false));
        }
        Arc::new(Schema::new(fields))
    }
}

pub fn timestamp_utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn provenance() -> [Field; 3] {
    [
        Field::new("source", DataType::Utf8, false),
        Field::new("source_line", DataType::Int64, true),
        Field::new("ingested_at", timestamp_utc(), false),
    ]
}

pub const SHORT_VOLUME: DatasetSpec = DatasetSpec {
    name: "short_volume",
    description: "FINRA Reg SHO daily short-sale volume, one row per date, symbol and reporting facility \
(CNMS = the consolidated file; FNSQ, FNQC, FNYX, FNRA, FORF = one facility). short_volume already includes \
short_exempt_volume. Volumes are DOUBLE so that fractional-share volumes fit.",
    fields: || {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("facility", DataType::Utf8, false),
            Field::new("short_volume", DataType::Float64, false),
            Field::new("short_exempt_volume", DataType::Float64, true),
            Field::new("total_volume", DataType::Float64, false),
            Field::new("market", DataType::Utf8, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["symbol", "facility"],
    natural_key: &["symbol", "facility"],
};

pub const BARS: DatasetSpec = DatasetSpec {
    name: "bars",
    description:
        "OHLCV price bars, daily (timeframe '1d') and intraday ('1m', '5m', …), timestamps in UTC; \
ts is the bar's start. A daily bar's ts is its trading date at 00:00 UTC. Intraday bars are \
partitioned by their New York trading date (after-hours bars past midnight UTC stay with their day).",
    fields: || {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("timeframe", DataType::Utf8, false),
            Field::new("ts", timestamp_utc(), false),
            Field::new("open", DataType::Float64, false),
            Field::new("high", DataType::Float64, false),
            Field::new("low", DataType::Float64, false),
            Field::new("close", DataType::Float64, false),
            Field::new("volume", DataType::Float64, false),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["symbol", "ts"],
    natural_key: &["symbol", "timeframe", "ts"],
};

pub const BASKETS: DatasetSpec = DatasetSpec {
    name: "baskets",
    description:
        "Named lists of symbols (a basket for DIX, a watch list), loaded from CSV. Re-loading a \
basket replaces its members.",
    fields: || {
        let mut fields = vec![
            Field::new("basket", DataType::Utf8, false),
            Field::new("symbol", DataType::Utf8, false),
            Field::new("weight", DataType::Float64, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: None,
    sort_order: &["basket", "symbol"],
    natural_key: &["basket", "symbol"],
};

pub const EQUITY_TRADES: DatasetSpec = DatasetSpec {
    name: "equity_trades",
    description: "Equity trade prints (the consolidated tape), one row per print that stands after \
corrections and cancels: the symbol (class suffix after a dot, as BRK.B), the SIP time in UTC, the source's \
sequence number, the exchange code as the source writes it (TAQ letters, Polygon ids), whether it is an \
off-exchange print (reported to FINRA's ADF or a TRF: the dark pools and wholesalers), the TRF, shares, \
price, the sale conditions as written, whether they leave the print a regular sale (see the README for \
the conditions that do not), and the correction code (01: a corrected trade). Partitioned by the New \
York trading date.",
    fields: || {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("ts", timestamp_utc(), false),
            Field::new("seq", DataType::Int64, false),
            Field::new("exchange", DataType::Utf8, false),
            Field::new("off_exchange", DataType::Boolean, false),
            Field::new("trf", DataType::Utf8, true),
            Field::new("size", DataType::Int64, false),
            Field::new("price", DataType::Float64, false),
            Field::new("conditions", DataType::Utf8, true),
            Field::new("regular_sale", DataType::Boolean, false),
            Field::new("correction", DataType::Utf8, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["symbol", "ts"],
    natural_key: &["source", "source_line"],
};

pub const EQUITY_DAILY_VOLUME: DatasetSpec = DatasetSpec {
    name: "equity_daily_volume",
    description:
        "Each symbol's volume per trading date in each equity tape, written with its prints \
in equity_trades (same source, same transaction, replaced together): prints and shares in all, and \
off the exchanges. Sum over sources for the consolidated daily volume without reading every print.",
    fields: || {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("prints", DataType::Int64, false),
            Field::new("volume", DataType::Int64, false),
            Field::new("off_exchange_prints", DataType::Int64, false),
            Field::new("off_exchange_volume", DataType::Int64, false),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["symbol"],
    natural_key: &["source", "symbol"],
};

pub const OPTION_TRADES: DatasetSpec = DatasetSpec {
    name: "option_trades",
    description: "Option trade prints (the tape), one row per print: the contract (OSI symbol without \
padding, as `AAPL240119C00190000`) and its parts, the SIP time in UTC, the source's sequence number, the \
exchange code as the source writes it (codes differ between sources), contracts, price per share, the \
trade condition, and the NBBO at trade time (from the tape, or from an as-of join to the quotes file \
given with it; NULL when neither had one). Partitioned by the New York trading date.",
    fields: || {
        let mut fields = vec![
            Field::new("underlying", DataType::Utf8, false),
            Field::new("contract", DataType::Utf8, false),
            Field::new("expiry", DataType::Date32, false),
            Field::new("right", DataType::Utf8, false),
            Field::new("strike", DataType::Float64, false),
            Field::new("ts", timestamp_utc(), false),
            Field::new("seq", DataType::Int64, false),
            Field::new("exchange", DataType::Utf8, false),
            Field::new("size", DataType::Int64, false),
            Field::new("price", DataType::Float64, false),
            Field::new("condition", DataType::Utf8, true),
            Field::new("bid", DataType::Float64, true),
            Field::new("ask", DataType::Float64, true),
            Field::new("underlying_bid", DataType::Float64, true),
            Field::new("underlying_ask", DataType::Float64, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["contract", "ts", "seq"],
    natural_key: &["source", "exchange", "seq"],
};

pub const OPTION_QUOTES: DatasetSpec = DatasetSpec {
    name: "option_quotes",
    description:
        "Option NBBO quotes given with a trades file (Polygon style), one row per quote update: \
contract, SIP time in UTC, bid and ask with their sizes and exchanges.",
    fields: || {
        let mut fields = vec![
            Field::new("contract", DataType::Utf8, false),
            Field::new("ts", timestamp_utc(), false),
            Field::new("seq", DataType::Int64, false),
            Field::new("bid", DataType::Float64, false),
            Field::new("ask", DataType::Float64, false),
            Field::new("bid_size", DataType::Int64, true),
            Field::new("ask_size", DataType::Int64, true),
            Field::new("bid_exchange", DataType::Utf8, true),
            Field::new("ask_exchange", DataType::Utf8, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["contract", "ts", "seq"],
    natural_key: &["source", "seq"],
};

pub const OPEN_INTEREST: DatasetSpec = DatasetSpec {
    name: "open_interest",
    description: "Open interest per contract per day, from option chain files (CBOE LiveVol end-of-day \
summaries, CBOE delayed-quote chains). `date` is the chain's date: the open interest OCC published that \
morning, as of the previous session's close. The chain's day volume, the underlying's price and the \
chain's own gamma and implied volatility come along when the file has them.",
    fields: || {
        let mut fields = vec![
            Field::new("contract", DataType::Utf8, false),
            Field::new("underlying", DataType::Utf8, false),
            Field::new("expiry", DataType::Date32, false),
            Field::new("right", DataType::Utf8, false),
            Field::new("strike", DataType::Float64, false),
            Field::new("open_interest", DataType::Int64, false),
            Field::new("volume", DataType::Int64, true),
            Field::new("underlying_price", DataType::Float64, true),
            Field::new("gamma", DataType::Float64, true),
            Field::new("implied_vol", DataType::Float64, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("date", DataType::Date32)),
    sort_order: &["contract"],
    // A chain without symbols (CBOE's CSV) may hold two rows of the same terms (SPX and SPXW).
    natural_key: &["contract", "source", "source_line"],
};

pub const PUT_CALL_CBOE: DatasetSpec = DatasetSpec {
    name: "put_call_cboe",
    description: "CBOE's daily put/call history (totalpc, equitypc, indexpc, vixpc, etppc files): \
contracts traded in calls and puts and CBOE's published ratio, one row per date and product.",
    fields: || {
        let mut fields = vec![
            Field::new("date", DataType::Date32, false),
            Field::new("product", DataType::Utf8, false),
            Field::new("calls", DataType::Int64, false),
            Field::new("puts", DataType::Int64, false),
            Field::new("total", DataType::Int64, false),
            Field::new("put_call_ratio", DataType::Float64, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: None,
    sort_order: &["date", "product"],
    natural_key: &["date", "product"],
};

pub const FILINGS_13F: DatasetSpec = DatasetSpec {
    name: "filings_13f",
    description: "SEC Form 13F filings, one row per accession: filer (CIK, name), form (13F-HR, \
13F-HR/A, 13F-NT, …), report period, filing date and EDGAR acceptance time (UTC), cover page (schema \
version, report type, amendment number and type, other managers), summary page (tableEntryTotal, \
tableValueTotal), what the information table held (rows, raw value sum), the value unit decided for \
the filing and why, whether rows and values reconcile with the summary page, and the holdings_13f \
file that holds its rows (the accession for a filing read from EDGAR, bulk-<data set> for one read \
from the SEC's Form 13F data sets).",
    fields: || {
        let mut fields = vec![
            Field::new("accession", DataType::Utf8, false),
            Field::new("cik", DataType::Utf8, false),
            Field::new("filer_name", DataType::Utf8, true),
            Field::new("form_type", DataType::Utf8, false),
            Field::new("filed_date", DataType::Date32, true),
            Field::new("accepted_at", timestamp_utc(), true),
            Field::new("schema_version", DataType::Utf8, true),
            Field::new("report_type", DataType::Utf8, true),
            Field::new("is_amendment", DataType::Boolean, false),
            Field::new("amendment_no", DataType::Int64, true),
            Field::new("amendment_type", DataType::Utf8, true),
            Field::new("other_managers_count", DataType::Int64, true),
            Field::new("table_entry_total", DataType::Int64, true),
            Field::new("table_value_total", DataType::Float64, true),
            Field::new("rows", DataType::Int64, false),
            Field::new("value_sum_raw", DataType::Float64, false),
            Field::new("value_unit", DataType::Utf8, false),
            Field::new("value_unit_reason", DataType::Utf8, false),
            Field::new("rows_match_total", DataType::Boolean, true),
            Field::new("value_matches_total", DataType::Boolean, true),
            Field::new("holdings_file", DataType::Utf8, false),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("report_period", DataType::Date32)),
    sort_order: &["cik", "accession"],
    natural_key: &["accession"],
};

pub const HOLDINGS_13F: DatasetSpec = DatasetSpec {
    name: "holdings_13f",
    description: "The rows of 13F information tables as filed, one per accession and row: issuer, \
class, CUSIP (and whether its check digit holds), value as filed and in dollars (value_usd, by the \
filing's unit), shares or principal amount (for put and call rows the underlying's shares), put/call, \
investment discretion, other managers and voting authority, with the filing's acceptance time.",
    fields: || {
        let mut fields = vec![
            Field::new("accession", DataType::Utf8, false),
            Field::new("cik", DataType::Utf8, false),
            Field::new("row", DataType::Int64, false),
            Field::new("issuer", DataType::Utf8, false),
            Field::new("class", DataType::Utf8, true),
            Field::new("cusip", DataType::Utf8, false),
            Field::new("cusip_valid", DataType::Boolean, false),
            Field::new("figi", DataType::Utf8, true),
            Field::new("value_raw", DataType::Float64, false),
            Field::new("value_usd", DataType::Float64, false),
            Field::new("value_unit", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, false),
            Field::new("amount_type", DataType::Utf8, false),
            Field::new("put_call", DataType::Utf8, true),
            Field::new("investment_discretion", DataType::Utf8, true),
            Field::new("other_managers", DataType::Utf8, true),
            Field::new("voting_sole", DataType::Float64, true),
            Field::new("voting_shared", DataType::Float64, true),
            Field::new("voting_none", DataType::Float64, true),
            Field::new("accepted_at", timestamp_utc(), true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("report_period", DataType::Date32)),
    sort_order: &["cik", "cusip", "accession", "row"],
    natural_key: &["accession", "row"],
};

pub const ATS_WEEKLY: DatasetSpec = DatasetSpec {
    name: "ats_weekly",
    description: "FINRA's OTC transparency data: one row per week, tier (T1, T2, OTCE), venue type (ATS, \
NON_ATS), symbol and venue MPID, with the week's shares and trades there. MPID is the key (venue names \
change); a later publication of a row replaces it, and last_update_date says which one it is.",
    fields: || {
        let mut fields = vec![
            Field::new("tier", DataType::Utf8, false),
            Field::new("tier_description", DataType::Utf8, true),
            Field::new("venue_type", DataType::Utf8, false),
            Field::new("symbol", DataType::Utf8, false),
            Field::new("issue_name", DataType::Utf8, true),
            Field::new("mpid", DataType::Utf8, false),
            Field::new("venue_name", DataType::Utf8, true),
            Field::new("weekly_shares", DataType::Float64, false),
            Field::new("weekly_trades", DataType::Int64, true),
            Field::new("last_update_date", DataType::Date32, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("week_start", DataType::Date32)),
    sort_order: &["symbol", "mpid"],
    natural_key: &["tier", "venue_type", "symbol", "mpid"],
};

pub const OTHER_MANAGERS_13F: DatasetSpec = DatasetSpec {
    name: "other_managers_13f",
    description: "The other managers a 13F report includes (a combination report's summary page; \
OTHERMANAGER2 in the SEC's data sets), one row per filing and sequence number: the sequence numbers \
holdings_13f.other_managers lists. The manager's CIK, 13F file number, CRD and SEC file numbers, and name.",
    fields: || {
        let mut fields = vec![
            Field::new("accession", DataType::Utf8, false),
            Field::new("cik", DataType::Utf8, false),
            Field::new("sequence_number", DataType::Int64, false),
            Field::new("manager_cik", DataType::Utf8, true),
            Field::new("form13f_file_number", DataType::Utf8, true),
            Field::new("crd_number", DataType::Utf8, true),
            Field::new("sec_file_number", DataType::Utf8, true),
            Field::new("name", DataType::Utf8, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: Some(("report_period", DataType::Date32)),
    sort_order: &["cik", "accession", "sequence_number"],
    natural_key: &["accession", "sequence_number"],
};

pub const SECURITIES: DatasetSpec = DatasetSpec {
    name: "securities",
    description: "The security master, loaded from CSV: CUSIP, symbol, name and shares outstanding, each \
row valid from valid_from (NULL: always) to valid_to (NULL: still). 13F holdings find their symbol here; \
a CUSIP it does not know keeps its rows with a NULL symbol.",
    fields: || {
        let mut fields = vec![
            Field::new("cusip", DataType::Utf8, false),
            Field::new("symbol", DataType::Utf8, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("shares_outstanding", DataType::Float64, true),
            Field::new("valid_from", DataType::Date32, true),
            Field::new("valid_to", DataType::Date32, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: None,
    sort_order: &["cusip"],
    natural_key: &["cusip", "valid_from"],
};

pub const MANAGER_TYPES: DatasetSpec = DatasetSpec {
    name: "manager_types",
    description: "The user's classification of 13F managers, one row per CIK (ten digits): a type \
such as hedge_fund, pension, bank or family_office, and optionally a name. whale_wallets reads it.",
    fields: || {
        let mut fields = vec![
            Field::new("cik", DataType::Utf8, false),
            Field::new("manager_type", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, true),
        ];
        fields.extend(provenance());
        fields
    },
    partition: None,
    sort_order: &["cik"],
    natural_key: &["cik"],
};

pub const INGEST_LOG: DatasetSpec = DatasetSpec {
    name: "ingest_log",
    description:
        "One row per source per ingest: what was read (URL or path, SHA-256), what became of it \
(landed, failed, not_published), rows written and rejected, and when.",
    fields: || {
        vec![
            Field::new("ingest_id", DataType::Utf8, false),
            Field::new("dataset", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("sha256", DataType::Utf8, true),
            Field::new("status", DataType::Utf8, false),
            Field::new("rows_written", DataType::Int64, false),
            Field::new("rows_rejected", DataType::Int64, false),
            Field::new("message", DataType::Utf8, true),
            Field::new("started_at", timestamp_utc(), false),
            Field::new("finished_at", timestamp_utc(), false),
        ]
    },
    partition: None,
    sort_order: &[],
    natural_key: &["ingest_id", "source"],
};

pub const REJECTED_RECORDS: DatasetSpec = DatasetSpec {
    name: "rejected_records",
    description: "Every record an ingest refused, kept as it was read: source, line, field, raw text and reason.",
    fields: || {
        vec![
            Field::new("ingest_id", DataType::Utf8, false),
            Field::new("dataset", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("line", DataType::Int64, true),
            Field::new("field", DataType::Utf8, true),
            Field::new("raw", DataType::Utf8, true),
            Field::new("reason", DataType::Utf8, false),
            Field::new("rejected_at", timestamp_utc(), false),
        ]
    },
    partition: None,
    sort_order: &[],
    natural_key: &["ingest_id", "source", "line"],
};

/// Every dataset, in the order `whalewatch tables` lists them.
pub const ALL: &[&DatasetSpec] = &[
    &SHORT_VOLUME,
    &ATS_WEEKLY,
    &BARS,
    &BASKETS,
    &EQUITY_TRADES,
    &EQUITY_DAILY_VOLUME,
    &OPTION_TRADES,
    &OPTION_QUOTES,
    &OPEN_INTEREST,
    &PUT_CALL_CBOE,
    &FILINGS_13F,
    &HOLDINGS_13F,
    &OTHER_MANAGERS_13F,
    &SECURITIES,
    &MANAGER_TYPES,
    &INGEST_LOG,
    &REJECTED_RECORDS,
];

pub fn find(name: &str) -> Option<&'static DatasetSpec> {
    ALL.iter().copied().find(|spec| spec.name == name)
}
