//! FINRA Reg SHO daily short-sale volume files.
//!
//! Layout (FINRA, "Regulation SHO Daily Short Sale Volume File Layout"): a header line,
//! pipe-delimited records, and a trailer line holding the record count; CRLF or LF. Since
//! 2011-02-28: `Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market`; before that there
//! is no ShortExemptVolume. A day without short data still has a file, with a trailer of 0; a
//! day without trading (weekend, holiday) has none. Consolidated files (CNMS) list every
//! facility that reported in `Market` (`B,Q,N`). ShortVolume already includes ShortExemptVolume.
//!
//! A file lands whole or not at all: any bad record, a missing trailer or a wrong count fails
//! the file, names the line and field, keeps the bad records in `rejected_records`, and leaves
//! the lake as it was.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Utc};
use datafusion::arrow::array::{Float64Array, StringArray};

use crate::calendar;
use crate::collect::http::HttpClient;
use crate::collect::{fields, tabular};
use crate::collect::{
    ingest_local_files, land_remote_sources, IngestReport, Progress, RemoteSource,
};
use crate::error::{Error, Result};
use crate::lake::datasets::SHORT_VOLUME;
use crate::lake::date_partition;
use crate::lake::{BatchBuilder, IngestRun, Lake, Rejected, SourceStatus, Transaction};

/// FINRA's public CDN for the daily files: `{base}/{FACILITY}shvol{YYYYMMDD}.txt`.
pub const DEFAULT_BASE_URL: &str = "https://cdn.finra.org/equity/regsho/daily";

/// The file families FINRA publishes each trading day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facility {
    /// Consolidated NMS: all TRFs and the ADF together.
    Cnms,
    /// FINRA/Nasdaq TRF Carteret.
    Fnsq,
    /// FINRA/Nasdaq TRF Chicago.
    Fnqc,
    /// FINRA/NYSE TRF.
    Fnyx,
    /// FINRA ADF.
    Fnra,
    /// FINRA ORF (OTC equities).
    Forf,
}

impl Facility {
    pub const ALL: [Facility; 6] = [
        Facility::Cnms,
        Facility::Fnsq,
        Facility::Fnqc,
        Facility::Fnyx,
        Facility::Fnra,
        Facility::Forf,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Facility::Cnms => "CNMS",
            Facility::Fnsq => "FNSQ",
            Facility::Fnqc => "FNQC",
            Facility::Fnyx => "FNYX",
            Facility::Fnra => "FNRA",
            Facility::Forf => "FORF",
        }
    }

    /// The facility a file name starts with (`CNMSshvol20210802.txt`, `FNQC_head40.txt`).
    pub fn from_file_name(name: &str) -> Option<Facility> {
        let upper = name.to_ascii_uppercase();
        Facility::ALL
            .into_iter()
            .find(|f| upper.starts_with(f.code()))
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Facility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Facility::ALL
            .into_iter()
            .find(|f| f.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown facility {s:?}: expected one of CNMS, FNSQ, FNQC, FNYX, FNRA, FORF"
                )
            })
    }
}

/// One record of a daily file.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortVolumeRecord {
    pub date: NaiveDate,
    pub symbol: String,
    pub short_volume: f64,
    pub short_exempt_volume: Option<f64>,
    pub total_volume: f64,
    pub market: Option<String>,
    pub line: u64,
}

/// How strictly to read a file.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// Every record must carry this date (a file fetched for one day).
    pub expected_date: Option<NaiveDate>,
    /// FINRA's files always end with a record count; files re-cut by third parties may not.
    pub require_trailer: bool,
}

/// Why a file cannot land: the first problem (with its place) and every refused record.
#[derive(Debug)]
pub struct Refusal {
    pub message: String,
    pub rejected: Vec<Rejected>,
}

#[derive(Clone, Copy)]
enum Column {
    Date,
    Symbol,
    ShortVolume,
    ShortExemptVolume,
    TotalVolume,
    Market,
}

fn header_column(name: &str) -> Option<Column> {
    // FINRA writes `ShortVolume`; re-cut files write `Short Volume`, `Market Center`.
    let key: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "date" => Some(Column::Date),
        "symbol" => Some(Column::Symbol),
        "shortvolume" => Some(Column::ShortVolume),
        "shortexemptvolume" => Some(Column::ShortExemptVolume),
        "totalvolume" => Some(Column::TotalVolume),
        "market" | "marketcenter" => Some(Column::Market),
        _ => None,
    }
}

/// Parses one daily file. Returns its records, or why it must not land.
pub fn parse(
    bytes: &[u8],
    source: &str,
    options: ParseOptions,
) -> Result<Vec<ShortVolumeRecord>, Refusal> {
    let reject =
        |line: Option<u64>, field: Option<&str>, raw: Option<&str>, reason: String| Rejected {
            source: source.to_string(),
            line,
            field: field.map(str::to_string),
            raw: raw.map(str::to_string),
            reason,
        };
    let refuse_file = |line: Option<u64>, raw: Option<&str>, reason: String| Refusal {
        message: Error::format(source, line, None, reason.clone()).to_string(),
        rejected: vec![reject(line, None, raw, reason)],
    };

    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        refuse_file(Some(line), None, "not UTF-8 text".to_string())
    })?;
    // Excel and some re-cutters write a byte-order mark; it is no part of the header's `Date`.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(u64, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    while lines.last().is_some_and(|(_, l)| l.trim().is_empty()) {
        lines.pop();
    }
    let Some(&(_, header)) = lines.first() else {
        return Err(refuse_file(
            None,
            None,
            "empty file: no header line".to_string(),
        ));
    };
    let mut columns = Vec::new();
    for name in header.split('|') {
        match header_column(name) {
            Some(column) => columns.push(column),
            None => {
                return Err(refuse_file(
                    Some(1),
                    Some(header),
                    format!("unexpected header column {name:?}: this is not a FINRA Reg SHO daily short volume file"),
                ))
            }
        }
    }
    let position = |wanted: fn(&Column) -> bool| columns.iter().position(wanted);
    let (Some(date_at), Some(symbol_at), Some(short_at), Some(total_at)) = (
        position(|c| matches!(c, Column::Date)),
        position(|c| matches!(c, Column::Symbol)),
        position(|c| matches!(c, Column::ShortVolume)),
        position(|c| matches!(c, Column::TotalVolume)),
    ) else {
        return Err(refuse_file(
            Some(1),
            Some(header),
            "header lacks Date, Symbol, ShortVolume or TotalVolume".to_string(),
        ));
    };
    let exempt_at = position(|c| matches!(c, Column::ShortExemptVolume));
    let market_at = position(|c| matches!(c, Column::Market));

    // The trailer is the last line: the record count alone, no delimiter.
    let mut records_end = lines.len();
    let mut trailer_count = None;
    if lines.len() > 1 {
        let (line_number, last) = lines[lines.len() - 1];
        if !last.contains('|') {
            match last.trim().parse::<u64>() {
                Ok(count) => {
                    trailer_count = Some((line_number, count));
                    records_end -= 1;
                }
                Err(_) => {
                    return Err(refuse_file(
                        Some(line_number),
                        Some(last),
                        format!(
                        "the last line {last:?} is neither a record nor the record-count trailer"
                    ),
                    ))
                }
            }
        }
    }
    if trailer_count.is_none() && options.require_trailer {
        let last_line = lines.last().map(|(n, _)| *n);
        return Err(refuse_file(
            last_line,
            None,
            "no record-count trailer: the file is truncated (download it again; for files re-cut by a third party use --without-trailer)"
                .to_string(),
        ));
    }

    let mut records = Vec::with_capacity(records_end.saturating_sub(1));
    let mut rejected = Vec::new();
    let mut first_line_of: HashMap<(NaiveDate, String), u64> = HashMap::new();
    for &(line_number, raw) in &lines[1..records_end] {
        if raw.len() > tabular::MAX_RECORD_BYTES {
            rejected.push(reject(
                Some(line_number),
                None,
                Some(&tabular::raw_text(raw.as_bytes())),
                format!(
                    "a line of {} bytes: more than the {} KiB a record may have",
                    raw.len(),
                    tabular::MAX_RECORD_BYTES >> 10
                ),
            ));
            continue;
        }
        let fields: Vec<&str> = raw.split('|').collect();
        if fields.len() != columns.len() {
            rejected.push(reject(
                Some(line_number),
                None,
                Some(raw),
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let field_name = |at: usize| header.split('|').nth(at).unwrap_or("?").trim().to_string();
        let mut problem: Option<(String, String)> = None;
        let mut note = |at: usize, reason: String| {
            if problem.is_none() {
                problem = Some((field_name(at), reason));
            }
        };
        let date = NaiveDate::parse_from_str(fields[date_at].trim(), "%Y%m%d")
            .map_err(|_| format!("{:?} is not a YYYYMMDD date", fields[date_at]))
            .and_then(|date| fields::check_year(date, fields[date_at]))
            .map_err(|reason| note(date_at, reason))
            .ok();
        let symbol = fields[symbol_at].trim();
        if symbol.is_empty() {
            note(symbol_at, "empty symbol".to_string());
        }
        if let Some(at) = fields.iter().position(|f| f.contains('\0')) {
            note(at, "a NUL byte in the field".to_string());
        }
        let mut volume = |at: usize| -> Option<f64> {
            let text = fields[at].trim();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => match fields::check_count(v, "shares") {
                    Ok(v) => Some(v),
                    Err(reason) => {
                        note(at, reason);
                        None
                    }
                },
                _ => {
                    note(
                        at,
                        format!("{text:?} is not a non-negative number of shares"),
                    );
                    None
                }
            }
        };
        let short = volume(short_at);
        let total = volume(total_at);
        let exempt = exempt_at.map(&mut volume);
        if let (Some(short), Some(total)) = (short, total) {
            if short > total {
                note(
                    short_at,
                    format!("ShortVolume {short} exceeds TotalVolume {total}"),
                );
            }
        }
        if let (Some(short), Some(Some(exempt))) = (short, exempt) {
            if exempt > short {
                note(
                    exempt_at.unwrap_or(short_at),
                    format!(
                        "ShortExemptVolume {exempt} exceeds ShortVolume {short}, which includes it"
                    ),
                );
            }
        }
        if let (Some(date), Some(expected)) = (date, options.expected_date) {
            if date != expected {
                note(date_at, format!("date {date} in the file for {expected}"));
            }
        }
        if let Some((field, reason)) = problem {
            rejected.push(reject(Some(line_number), Some(&field), Some(raw), reason));
            continue;
        }
        let (Some(date), Some(short), Some(total)) = (date, short, total) else {
            continue;
        };
        let first = *first_line_of
            .entry((date, symbol.to_string()))
            .or_insert(line_number);
        if first != line_number {
            rejected.push(reject(
                Some(line_number),
                Some(&field_name(symbol_at)),
                Some(raw),
                format!("second record for {symbol} on {date} (the first is line {first})"),
            ));
            continue;
        }
        records.push(ShortVolumeRecord {
            date,
            symbol: symbol.to_string(),
            short_volume: short,
            short_exempt_volume: exempt.flatten(),
            total_volume: total,
            market: market_at
                .map(|at| fields[at].trim().to_string())
                .filter(|m| !m.is_empty()),
            line: line_number,
        });
    }

    if let Some((line_number, count)) = trailer_count {
        let found = (records_end - 1) as u64;
        if count != found {
            rejected.push(reject(
                Some(line_number),
                None,
                Some(lines[lines.len() - 1].1),
                format!("the trailer counts {count} records but the file has {found}: the file is incomplete or corrupt"),
            ));
        }
    }
    if let Some(first) = rejected.first() {
        let more = match rejected.len() {
            1 => String::new(),
            n => format!(" (and {} more problems)", n - 1),
        };
        let message = Error::format(
            source,
            first.line,
            first.field.as_deref(),
            format!("{}{more}", first.reason),
        )
        .to_string();
        return Err(Refusal { message, rejected });
    }
    Ok(records)
}

/// Stages one facility file's records in the lake: one file per date partition, named by facility.
fn stage(
    transaction: &mut Transaction,
    records: &[ShortVolumeRecord],
    facility: Facility,
    source: &str,
) -> Result<u64> {
    let mut by_date: BTreeMap<NaiveDate, Vec<&ShortVolumeRecord>> = BTreeMap::new();
    for record in records {
        by_date.entry(record.date).or_default().push(record);
    }
    let now = Utc::now();
    for (date, rows) in by_date {
        let n = rows.len();
        let batch = BatchBuilder::new(&SHORT_VOLUME, n)
            .column(
                "symbol",
                StringArray::from_iter_values(rows.iter().map(|r| r.symbol.as_str())),
            )?
            .column("facility", StringArray::from(vec![facility.code(); n]))?
            .column(
                "short_volume",
                Float64Array::from_iter_values(rows.iter().map(|r| r.short_volume)),
            )?
            .column(
                "short_exempt_volume",
                Float64Array::from_iter(rows.iter().map(|r| r.short_exempt_volume)),
            )?
            .column(
                "total_volume",
                Float64Array::from_iter_values(rows.iter().map(|r| r.total_volume)),
            )?
            .column(
                "market",
                StringArray::from_iter(rows.iter().map(|r| r.market.as_deref())),
            )?
            .provenance(source, rows.iter().map(|r| r.line), now)?
            .finish()?;
        let partition = date_partition(date);
        transaction.upsert(&SHORT_VOLUME, Some(&partition), facility.code(), batch)?;
    }
    Ok(records.len() as u64)
}

/// Parses and lands one file's records; refused records go to `refused` (a file with any is
/// refused whole: FINRA's files are all or nothing).
fn land(
    lake: &Lake,
    bytes: &[u8],
    source: &str,
    facility: Facility,
    options: ParseOptions,
    refused: &mut Vec<Rejected>,
) -> Result<u64> {
    let records = parse(bytes, source, options).map_err(|refusal| {
        refused.extend(refusal.rejected);
        Error::Refused(refusal.message)
    })?;
    let mut transaction = Transaction::new(lake);
    let rows = stage(&mut transaction, &records, facility, source)?;
    transaction.commit()?;
    Ok(rows)
}

pub fn url_for(base_url: &str, facility: Facility, date: NaiveDate) -> String {
    format!(
        "{}/{}shvol{}.txt",
        base_url.trim_end_matches('/'),
        facility.code(),
        date.format("%Y%m%d")
    )
}

/// Fetches and lands the files of `facilities` for each day in `dates` that NYSE traded: weekends
/// and NYSE holidays are not asked for (the report's notes name them). A file missing on an
/// ordinary trading day is recorded as `missing` (not yet posted, or a wrong base URL), not as a
/// holiday.
pub async fn ingest_dates(
    lake: &Lake,
    http: &HttpClient,
    base_url: &str,
    facilities: &[Facility],
    dates: &[NaiveDate],
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let mut notes = Vec::new();
    let mut trading_days = Vec::with_capacity(dates.len());
    for &date in dates {
        if let Some(holiday) = calendar::nyse_holiday(date) {
            notes.push(format!("{date}: NYSE closed ({holiday}), no file to fetch"));
        } else if calendar::is_nyse_trading_day(date) {
            trading_days.push(date);
        } else if dates.len() == 1 {
            notes.push(format!("{date} is a {}: no file to fetch", date.weekday()));
        }
    }
    let _lock = lake.lock()?;
    let mut run = IngestRun::new(&SHORT_VOLUME);
    progress.add_work((trading_days.len() * facilities.len()) as u64);
    let sources = trading_days.iter().flat_map(|&date| {
        facilities.iter().map(move |&facility| RemoteSource {
            item: (date, facility),
            url: url_for(base_url, facility, date),
            label: format!("{facility} {date}"),
            when_absent: (
                SourceStatus::Missing,
                format!(
                    "FINRA has no {facility} file for {date}, an ordinary NYSE trading day (not \
                     posted yet, or a wrong base URL)"
                ),
            ),
        })
    });
    let stopped = land_remote_sources(
        lake,
        &mut run,
        http,
        sources,
        progress,
        |source, bytes, refused| {
            let (date, facility) = source.item;
            let options = ParseOptions {
                expected_date: Some(date),
                require_trailer: true,
            };
            land(lake, bytes, &source.url, facility, options, refused).map(|rows| (rows, None))
        },
    )
    .await;
    let mut report = IngestReport::of(&run);
    report.notes = notes;
    stopped.map(|()| report)
}

/// Lands local files. The facility comes from `facility`, or else from each file's name.
pub fn ingest_files(
    lake: &Lake,
    paths: &[PathBuf],
    facility: Option<Facility>,
    require_trailer: bool,
) -> Result<IngestReport> {
    // Every file's facility is known before anything is written.
    let mut facilities = HashMap::with_capacity(paths.len());
    for path in paths {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(facility) = facility.or_else(|| Facility::from_file_name(file_name)) else {
            return Err(Error::Usage(format!(
                "{}: cannot tell the facility from the file name; pass --facility CNMS|FNSQ|FNQC|FNYX|FNRA|FORF",
                path.display()
            )));
        };
        facilities.insert(path.clone(), facility);
    }
    ingest_local_files(
        lake,
        &SHORT_VOLUME,
        paths,
        |path, source, bytes, refused| {
            let facility = facilities.get(path).copied().unwrap_or(Facility::Cnms);
            let options = ParseOptions {
                expected_date: None,
                require_trailer,
            };
            land(lake, &bytes, source, facility, options, refused)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: ParseOptions = ParseOptions {
        expected_date: None,
        require_trailer: true,
    };

    #[test]
    fn layout_before_2011_has_no_short_exempt_volume() {
        // FINRA's layout in effect until 2011-02-28, LF line endings.
        let file = "Date|Symbol|ShortVolume|TotalVolume|Market\n20100104|BRK.B|1200|5000|Q\n20100104|SPY-A|0|10|N\n2\n";
        let records = parse(file.as_bytes(), "old.txt", STRICT).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].symbol, "BRK.B");
        assert_eq!(records[0].short_exempt_volume, None);
        assert_eq!(
            (records[0].short_volume, records[0].total_volume),
            (1200.0, 5000.0)
        );
        assert_eq!(records[1].symbol, "SPY-A");
        assert_eq!(records[1].line, 3);
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let file = "\u{feff}Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n20210802|AAL|5|0|10|B\n1\n";
        let records = parse(file.as_bytes(), "bom.txt", STRICT).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].line, 2);
    }

    #[test]
    fn nul_bytes_impossible_dates_huge_volumes_and_endless_lines_are_refused_by_field() {
        let header = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market";
        let long = "X".repeat(tabular::MAX_RECORD_BYTES + 1);
        for (record, line, field, reason) in [
            ("20210802|AA\0L|5|0|10|B", 2, Some("Symbol"), "NUL byte"),
            (
                "00000101|AAL|5|0|10|B",
                2,
                Some("Date"),
                "outside the years 1900–2200",
            ),
            (
                "99991231|AAL|5|0|10|B",
                2,
                Some("Date"),
                "outside the years 1900–2200",
            ),
            (
                "20210802|AAL|5|0|1e300|B",
                2,
                Some("TotalVolume"),
                "beyond the bound",
            ),
            (long.as_str(), 2, None, "KiB a record may have"),
        ] {
            let file = format!("{header}\n{record}\n1\n");
            let refusal = parse(file.as_bytes(), "bad.txt", STRICT).unwrap_err();
            let first = &refusal.rejected[0];
            assert_eq!(first.line, Some(line), "{record:.40}");
            assert_eq!(first.field.as_deref(), field, "{record:.40}");
            assert!(first.reason.contains(reason), "{}", first.reason);
            assert!(first.raw.as_ref().is_some_and(|r| r.len() < 2048));
        }
    }

    #[test]
    fn a_day_without_short_data_is_a_header_and_a_zero_trailer() {
        let file = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\r\n0\r\n";
        assert_eq!(parse(file.as_bytes(), "empty.txt", STRICT).unwrap(), vec![]);
    }

    #[test]
    fn a_header_that_is_not_finra_is_refused() {
        let file = "date,symbol,close\n2021-01-04,IWM,197\n";
        let refusal = parse(file.as_bytes(), "prices.csv", STRICT).unwrap_err();
        assert!(
            refusal
                .message
                .starts_with("prices.csv:1: unexpected header column"),
            "{}",
            refusal.message
        );
    }

    #[test]
    fn duplicates_wrong_dates_and_exempt_above_short_are_each_named() {
        let file = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n\
                    20210802|AAL|5|0|10|B\n\
                    20210802|AAL|6|0|10|B\n\
                    20210803|KEY|1|0|10|B\n\
                    20210802|ZYNE|1|2|10|B\n\
                    20210802|ZYXI|1|0|10\n\
                    5\n";
        let options = ParseOptions {
            expected_date: NaiveDate::from_ymd_opt(2021, 8, 2),
            require_trailer: true,
        };
        let refusal = parse(file.as_bytes(), "f", options).unwrap_err();
        let reasons: Vec<(Option<u64>, String)> = refusal
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (
                    Some(3),
                    "second record for AAL on 2021-08-02 (the first is line 2)".to_string()
                ),
                (
                    Some(4),
                    "date 2021-08-03 in the file for 2021-08-02".to_string()
                ),
                (
                    Some(5),
                    "ShortExemptVolume 2 exceeds ShortVolume 1, which includes it".to_string()
                ),
                (Some(6), "5 fields where the header has 6".to_string()),
            ]
        );
        assert!(refusal.message.contains("(and 3 more problems)"));
    }

    #[test]
    fn facility_from_names_and_urls() {
        assert_eq!(
            Facility::from_file_name("CNMSshvol20210802.txt"),
            Some(Facility::Cnms)
        );
        assert_eq!(
            Facility::from_file_name("fnqc_head40.txt"),
            Some(Facility::Fnqc)
        );
        assert_eq!(Facility::from_file_name("TestFinraReport.txt"), None);
        assert_eq!(
            url_for(
                "https://cdn.finra.org/equity/regsho/daily/",
                Facility::Fnyx,
                NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
            ),
            "https://cdn.finra.org/equity/regsho/daily/FNYXshvol20240301.txt"
        );
    }
}
