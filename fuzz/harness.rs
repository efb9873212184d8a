//! What each fuzz target does with the fuzzer's bytes: one function per target, calling the
//! library's own entry point for that feed. Shared by the cargo-fuzz targets
//! (`fuzz_targets/<target>.rs`, nightly) and by the stable test that replays every committed seed
//! and regression input (`tests/integration/fuzz_regressions.rs`), so both run the same code.
//! A harness only discards results: an `Err` is a clean refusal; a panic, abort, overflow,
//! timeout or runaway allocation is a finding.
#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::Path;

use chrono::NaiveDate;
use whalewatch::collect::finra::ats::{self, AtsOptions, VenueType};
use whalewatch::collect::finra::short_volume::{self, ParseOptions};
use whalewatch::collect::reference::bars::{self, BarsOptions};
use whalewatch::collect::sec_13f::{bulk, edgar_index, parse_submission};
use whalewatch::collect::tabular;
use whalewatch::collect::tapes::cboe_put_call;
use whalewatch::collect::tapes::equity_trades::{self, EquityTradesOptions};
use whalewatch::collect::tapes::option_chains::{self, ChainOptions};
use whalewatch::collect::tapes::option_trades::{
    parse_quotes, parse_trades, ContractTerms, OptionTradesOptions, QuoteBook,
};
use whalewatch::sql::query_file::{parse_param_assignment, QueryFile};

/// Every target by name, as the replay test walks them.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("finra_short_volume", finra_short_volume),
    ("finra_ats", finra_ats),
    ("sec13f_sgml", sec13f_sgml),
    ("sec13f_xml", sec13f_xml),
    ("sec13f_edgar_index", sec13f_edgar_index),
    ("sec13f_data_set", sec13f_data_set),
    ("equity_taq", equity_taq),
    ("equity_polygon", equity_polygon),
    ("option_livevol", option_livevol),
    ("option_polygon", option_polygon),
    ("option_chains", option_chains),
    ("cboe_put_call", cboe_put_call),
    ("bars_csv", bars_csv),
    ("tabular", tabular),
    ("osi_symbol", osi_symbol),
    ("query_file_header", query_file_header),
];

/// FINRA daily short volume files (`CNMSshvolYYYYMMDD.txt` and the facility files), through
/// `collect::finra::short_volume::parse`, strict (a trailer) and lenient (an expected date).
pub fn finra_short_volume(data: &[u8]) {
    let _ = short_volume::parse(
        data,
        "CNMSshvol20210802.txt",
        ParseOptions {
            expected_date: None,
            require_trailer: true,
        },
    );
    let _ = short_volume::parse(
        data,
        "CNMSshvol20210802.txt",
        ParseOptions {
            expected_date: NaiveDate::from_ymd_opt(2021, 8, 2),
            require_trailer: false,
        },
    );
}

/// FINRA ATS / OTC weekly summary files (pipe- or comma-delimited) and the OTC transparency API's
/// JSON answers, through `collect::finra::ats::read_for_fuzzing` (the table and row readers an
/// ingest of either uses, up to the rows it would land). First byte: bit 0 a JSON API answer,
/// else a file (bit 1: `.txt`, else `.csv`); bit 2 gives `--week`, bit 3 `--venue-type non-ats`.
pub fn finra_ats(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let options = AtsOptions {
        week: (selector & 4 != 0).then(|| NaiveDate::from_ymd_opt(2024, 11, 4).unwrap()),
        venue_type: (selector & 8 != 0).then_some(VenueType::NonAts),
    };
    let path = if selector & 2 != 0 {
        Path::new("ats_nms_tier1_2024-11-04.txt")
    } else {
        Path::new("weekly_summary_2024-11-04.csv")
    };
    let _ = ats::read_for_fuzzing(path, bytes.to_vec(), selector & 1 != 0, &options);
}

/// EDGAR 13F full submissions (the `.txt` SGML envelope and the `.nc` form, with their XML cover
/// page and information table), through `collect::sec_13f::parse_submission`.
pub fn sec13f_sgml(data: &[u8]) {
    submission(&String::from_utf8_lossy(data));
}

fn submission(text: &str) {
    if let Ok((filing, _rejected)) = parse_submission(text, "0001619124-21-000002.txt") {
        // What an ingest asks of a parsed filing before it lands it.
        let _ = filing.row.rows_match_total();
        let _ = filing.row.value_matches_total();
    }
}

const ENVELOPE_HEADER: &str = "<SEC-DOCUMENT>0001619124-21-000002.txt : 20210212
<SEC-HEADER>0001619124-21-000002.hdr.sgml : 20210212
<ACCEPTANCE-DATETIME>20210212100642
ACCESSION NUMBER:\t\t0001619124-21-000002
CONFORMED SUBMISSION TYPE:\t13F-HR
PUBLIC DOCUMENT COUNT:\t\t2
CONFORMED PERIOD OF REPORT:\t20201231
FILED AS OF DATE:\t\t20210212

FILER:

\tCOMPANY DATA:\t
\t\tCOMPANY CONFORMED NAME:\t\t\tACTIAM N.V.
\t\tCENTRAL INDEX KEY:\t\t\t0001619124
</SEC-HEADER>
";
const COVER: &str = include_str!("envelope/sec13f_xml_cover.xml");
const TABLE: &str = include_str!("envelope/sec13f_xml_table.xml");

fn document(kind: &str, xml: &str) -> String {
    format!(
        "<DOCUMENT>\n<TYPE>{kind}\n<SEQUENCE>1\n<FILENAME>doc.xml\n<TEXT>\n<XML>\n{xml}\n</XML>\n\
         </TEXT>\n</DOCUMENT>\n"
    )
}

/// The XML documents of a 13F filing: the bytes after the first are the information table
/// (first byte even) or the cover page (odd), inside a real filing's SGML envelope whose other
/// document is kept as filed (tests/fixtures/sec13f/0001619124-21-000002.txt), through
/// `collect::sec_13f::parse_submission`. Keeps the fuzzer on the XML.
pub fn sec13f_xml(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let xml = String::from_utf8_lossy(bytes);
    let (cover, table) = if selector & 1 == 0 {
        (COVER, &*xml)
    } else {
        (&*xml, TABLE)
    };
    submission(&format!(
        "{ENVELOPE_HEADER}{}{}</SEC-DOCUMENT>\n",
        document("13F-HR", cover),
        document("INFORMATION TABLE", table)
    ));
}

/// EDGAR's daily and quarterly form indexes (`form.idx`), through
/// `collect::sec_13f::edgar_index::parse`.
pub fn sec13f_edgar_index(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok((entries, _refused)) = edgar_index::parse(&text, "form.idx") {
        for entry in &entries {
            let _ = entry.accession();
        }
    }
}

const DATA_SET_MEMBERS: [&str; 5] = [
    "SUBMISSION.tsv",
    "COVERPAGE.tsv",
    "OTHERMANAGER2.tsv",
    "SUMMARYPAGE.tsv",
    "INFOTABLE.tsv",
];

/// The bytes cut at each NUL into the data set's members' texts, in a stored (uncompressed) ZIP.
pub fn stored_zip(data: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut parts = data.split(|&b| b == 0);
    for name in DATA_SET_MEMBERS {
        writer.start_file(name, options).unwrap();
        writer.write_all(parts.next().unwrap_or_default()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The SEC's Form 13F data sets (a ZIP of SUBMISSION, COVERPAGE, OTHERMANAGER2, SUMMARYPAGE and
/// INFOTABLE TSVs), through `collect::sec_13f::bulk::read_for_fuzzing` (the reader an ingest of a
/// data set uses). Deflate would hide the TSVs from the fuzzer, so the bytes are cut at each NUL
/// into the members' texts and written into a stored ZIP ([`stored_zip`]); a first byte `Z`
/// hands the rest over as the ZIP itself instead.
pub fn sec13f_data_set(data: &[u8]) {
    match data.split_first() {
        Some((b'Z', rest)) => {
            let _ = bulk::read_for_fuzzing(rest);
        }
        _ => {
            let _ = bulk::read_for_fuzzing(&stored_zip(data));
        }
    }
}

/// The block size of the equity tape targets: a few hundred bytes, so that lines straddle
/// blocks (an ingest reads 64 MiB blocks).
fn block_of(selector: u8) -> usize {
    64 + usize::from(selector >> 1) * 8
}

/// NYSE Daily TAQ trade files (`EQY_US_ALL_TRADE_YYYYMMDD`, pipe-delimited, times of day) and WRDS
/// TAQ exports, through `collect::tapes::equity_trades::read_for_fuzzing` (the block reader and
/// print parser an ingest uses, up to its batches). First byte: bit 0 the WRDS name (else the
/// Daily TAQ name, which carries the date), the rest the block size.
pub fn equity_taq(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = if selector & 1 == 0 {
        Path::new("EQY_US_ALL_TRADE_20250304")
    } else {
        Path::new("taq_trades_2025-03-03.csv")
    };
    let options = EquityTradesOptions::default();
    let _ = equity_trades::read_for_fuzzing(path, bytes, &options, block_of(selector));
}

/// Polygon's (Massive's) equity trade flat files and mapped tapes (nanosecond or ISO timestamps,
/// condition lists), through `collect::tapes::equity_trades::read_for_fuzzing`. First byte: bit 0
/// a column map (tests/fixtures/equity_trades/ticks_*.csv's) and an off-exchange code, the rest
/// the block size.
pub fn equity_polygon(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let mut options = EquityTradesOptions::default();
    if selector & 1 != 0 {
        options.column_map = [
            ("symbol", "Sym"),
            ("ts", "Timestamp"),
            ("exchange", "Venue"),
            ("size", "Qty"),
            ("price", "Px"),
            ("conditions", "Flags"),
        ]
        .iter()
        .map(|(t, h)| (t.to_string(), h.to_string()))
        .collect();
        options.off_exchange_codes = vec!["FINY".into()];
    }
    let path = Path::new("polygon_2025-03-05.csv");
    let _ = equity_trades::read_for_fuzzing(path, bytes, &options, block_of(selector));
}

/// LiveVol (Cboe DataShop) option time and sales, through the table reader
/// (`collect::tabular::parse`) and `collect::tapes::option_trades::parse_trades`, as an ingest
/// reads a tape. First byte: bit 0 gives a time zone.
pub fn option_livevol(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let options = OptionTradesOptions {
        time_zone: (selector & 1 != 0).then_some(chrono_tz::America::Chicago),
        ..Default::default()
    };
    let Ok(table) = tabular::parse(Path::new("livevol.csv"), bytes.to_vec()) else {
        return;
    };
    if let Ok((prints, _rejected)) = parse_trades(&table, "livevol.csv", &options) {
        for print in &prints {
            let _ = print.terms.symbol();
        }
    }
}

/// Polygon's (Massive's) option trades and quotes flat files (`O:` tickers, nanosecond SIP
/// times), through the table reader, `collect::tapes::option_trades::{parse_quotes,
/// parse_trades}` and the quote book's as-of lookup, as an ingest with `--quotes` does. The bytes
/// before the first NUL are the quotes file, the rest the trades.
pub fn option_polygon(data: &[u8]) {
    let (quotes, trades) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[][..], data),
    };
    let options = OptionTradesOptions::default();
    let mut book = QuoteBook::default();
    if let Ok(table) = tabular::parse(Path::new("quotes.csv"), quotes.to_vec()) {
        if let Ok((quotes, _rejected)) = parse_quotes(&table, "quotes.csv", &options) {
            book.add(&quotes);
        }
    }
    let Ok(table) = tabular::parse(Path::new("trades.csv"), trades.to_vec()) else {
        return;
    };
    if let Ok((prints, _rejected)) = parse_trades(&table, "trades.csv", &options) {
        for print in &prints {
            let _ = book.at(&print.contract, print.ts);
        }
    }
}

/// Option chains and open-interest files (LiveVol EOD, delayed-quote chains with a `# spot` line,
/// contract-keyed CSVs), through `collect::tapes::option_chains::parse`. First byte: bit 0 a file
/// name that carries underlying and date, bit 1 `--date`, bit 2 `--underlying`.
pub fn option_chains(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = if selector & 1 != 0 {
        Path::new("SPX_2026-06-12.csv")
    } else {
        Path::new("chain.csv")
    };
    let options = ChainOptions {
        date: (selector & 2 != 0).then(|| NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
        underlying: (selector & 4 != 0).then(|| "AAPL".to_string()),
        column_map: Vec::new(),
    };
    let _ = option_chains::parse(path, "chain.csv", bytes.to_vec(), &options);
}

/// CBOE's put/call ratio history files (disclaimer, `PRODUCT:` line, header), through
/// `collect::tapes::cboe_put_call::parse`. First byte: bit 0 a file name that names its product
/// (`equitypc.csv`), bit 1 `--product INDEX`.
pub fn cboe_put_call(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = if selector & 1 != 0 {
        Path::new("equitypc.csv")
    } else {
        Path::new("history.csv")
    };
    let product = (selector & 2 != 0).then_some("INDEX");
    let _ = cboe_put_call::parse(path, "history.csv", bytes, product);
}

/// Daily and intraday bar files (CSV, any delimiter), through the table reader and
/// `collect::reference::bars::parse`, as `ingest bars` does. First byte: bit 0 `--symbol`, bits
/// 1-2 `--timeframe` (none, 1d, 1m, 5m).
pub fn bars_csv(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let options = BarsOptions {
        symbol: (selector & 1 != 0).then(|| "IWM".to_string()),
        timeframe: match (selector >> 1) & 3 {
            1 => Some("1d".to_string()),
            2 => Some("1m".to_string()),
            3 => Some("5m".to_string()),
            _ => None,
        },
        column_map: Vec::new(),
    };
    let Ok(table) = tabular::parse(Path::new("bars.csv"), bytes.to_vec()) else {
        return;
    };
    let _ = bars::parse(&table, "bars.csv", &options);
}

/// The delimited-table reader every CSV collector shares (quotes, delimiter sniffing, BOM,
/// record bounds), through `collect::tabular::parse`, and each record's check (`Table::misfit`).
pub fn tabular(data: &[u8]) {
    if let Ok(table) = tabular::parse(Path::new("table.csv"), data.to_vec()) {
        for record in &table.rows {
            let _ = table.misfit(record, "table.csv");
        }
        let _ = table.column(&["symbol", "date"]);
    }
}

/// OSI option symbols (`AAPL  260320C00190000`, `O:` prefixes, compact forms), through
/// `whalewatch_udfs::parse_osi::parse` (the `parse_osi` SQL function) and the collectors'
/// `ContractTerms::from_osi`.
pub fn osi_symbol(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = whalewatch_udfs::parse_osi::parse(&text);
    if let Ok(terms) = ContractTerms::from_osi(&text) {
        let _ = terms.symbol();
    }
}

/// Query files' `-- name/description/param/schedule/output` headers, through
/// `sql::query_file::QueryFile::parse`; then `--param NAME=VALUE` assignments (the bytes after
/// the first NUL, one a line) through `parse_param_assignment`, bound against its parameters
/// (`QueryFile::bind`), and the table-function dates written into its SQL.
pub fn query_file_header(data: &[u8]) {
    let (file, params) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(file);
    let Ok(query) = QueryFile::parse(Path::new("fuzz.sql"), &text) else {
        return;
    };
    let params = String::from_utf8_lossy(params);
    let given: Vec<(String, String)> = params
        .lines()
        .filter_map(|line| parse_param_assignment(line).ok())
        .collect();
    if let Ok(values) = query.bind(&given) {
        let _ = query.sql_with_table_function_dates(&values);
    }
}
