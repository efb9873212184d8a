//! FINRA's OTC transparency data (Rules 6110 and 6610): every week, for each security and each
//! ATS (by MPID), the shares and trades it executed off exchange; and the same for non-ATS OTC
//! volume by firm. Tier 1 NMS stocks are published two weeks after the week, the others four.
//!
//! The files users download from FINRA's OTC transparency site are pipe-delimited (or CSV) with
//! a header: `tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|
//! totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate`; FINRA's query API
//! (`otcMarket/weeklySummary`) names the same fields and adds `weekStartDate`, `tierIdentifier`
//! and `summaryTypeCode` (`ATS_W_SMBL_FIRM`, `OTC_W_SMBL_FIRM`, …). A downloaded file does not say
//! its week or whether it is ATS or non-ATS data: `--week` and `--venue-type` do.
//!
//! Rows land in `ats_weekly`, one file per week, tier and venue type; a row published again
//! (FINRA revises weeks) replaces the old one by (tier, venue type, symbol, MPID).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};

use crate::collect::fields::days_since_epoch;
use crate::collect::http::{Authorization, Fetched, HttpClient};
use crate::collect::tabular;
use crate::collect::{
    ingest_local_files, land_fetched_sources, IngestReport, Progress, RemoteSource,
};
use crate::error::{Error, Result};
use crate::lake::datasets::ATS_WEEKLY;
use crate::lake::date_partition;
use crate::lake::ingest_log::{IngestRun, SourceStatus};
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

/// ATS volume or non-ATS OTC volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VenueType {
    Ats,
    NonAts,
}

impl VenueType {
    pub fn parse(text: &str) -> Result<VenueType> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "ats" => Ok(VenueType::Ats),
            "nonats" | "otc" => Ok(VenueType::NonAts),
            _ => Err(Error::Usage(format!(
                "--venue-type {text:?}: write ats or non-ats"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            VenueType::Ats => "ATS",
            VenueType::NonAts => "NON_ATS",
        }
    }

    /// From the API's `summaryTypeCode`: `ATS_W_…` or `OTC_W_…`.
    fn of_summary_type(code: &str) -> Option<VenueType> {
        let code = code.trim().to_ascii_uppercase();
        if code.starts_with("ATS") {
            Some(VenueType::Ats)
        } else if code.starts_with("OTC") {
            Some(VenueType::NonAts)
        } else {
            None
        }
    }
}

/// What a file does not say itself.
#[derive(Debug, Clone, Default)]
pub struct AtsOptions {
    /// The week's first day (a Monday), for files without `weekStartDate`.
    pub week: Option<NaiveDate>,
    /// For files without `summaryTypeCode` (default: ATS).
    pub venue_type: Option<VenueType>,
}

const COLUMNS: [(&str, &[&str]); 11] = [
    ("tier", &["tierIdentifier"]),
    ("tier_description", &["tierDescription"]),
    ("symbol", &["issueSymbolIdentifier", "symbol"]),
    ("issue_name", &["issueName"]),
    ("venue_name", &["marketParticipantName"]),
    ("mpid", &["MPID", "marketParticipantIdentifier"]),
    ("shares", &["totalWeeklyShareQuantity"]),
    ("trades", &["totalWeeklyTradeCount"]),
    ("last_update", &["lastUpdateDate"]),
    ("week", &["weekStartDate"]),
    ("summary_type", &["summaryTypeCode"]),
];

/// `T1`, `T2` or `OTCE`, from the identifier or FINRA's description.
fn tier(identifier: Option<&str>, description: Option<&str>) -> Option<&'static str> {
    let normal = |t: &str| t.trim().to_ascii_uppercase().replace(' ', "");
    match identifier.map(normal).as_deref() {
        Some("T1") => return Some("T1"),
        Some("T2") => return Some("T2"),
        Some("OTCE") | Some("OTC") => return Some("OTCE"),
        _ => {}
    }
    match description.map(normal).as_deref() {
        Some("NMSTIER1") | Some("TIER1") => Some("T1"),
        Some("NMSTIER2") | Some("TIER2") => Some("T2"),
        Some("OTC") | Some("OTCE") | Some("OTCEQUITY") | Some("OTCEQUITIES") => Some("OTCE"),
        _ => None,
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

fn parse_count(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0 && *v <= crate::collect::fields::MAX_COUNT)
}

/// One row read, to land under its (week, tier, venue type).
struct AtsRow {
    tier_description: Option<String>,
    symbol: String,
    issue_name: Option<String>,
    mpid: String,
    venue_name: Option<String>,
    weekly_shares: f64,
    weekly_trades: Option<i64>,
    last_update: Option<NaiveDate>,
    line: u64,
}

pub fn ingest_files(lake: &Lake, paths: &[PathBuf], options: &AtsOptions) -> Result<IngestReport> {
    ingest_local_files(
        lake,
        &ATS_WEEKLY,
        paths,
        |path: &Path, source, bytes, refused| {
            let table = tabular::parse(path, bytes)?;
            land_table(lake, &table, source, options, refused)
        },
    )
}

/// Lands the rows of one file or API answer, refusing into `refused` those it cannot read.
/// The rows of one file or API answer by (week, tier, venue type), refusing into `refused` those
/// it cannot read; fails when the table as a whole cannot be read.
type RowsByFile = BTreeMap<(NaiveDate, &'static str, VenueType), Vec<AtsRow>>;

fn read_rows(
    table: &tabular::Table,
    source: &str,
    options: &AtsOptions,
    refused: &mut Vec<Rejected>,
) -> Result<RowsByFile> {
    let at = table.resolve(&COLUMNS, &[]);
    for target in ["symbol", "mpid", "shares"] {
        if at[target].is_none() {
            return Err(table.missing(source, target));
        }
    }
    if at["tier"].is_none() && at["tier_description"].is_none() {
        return Err(table.missing(source, "tierDescription"));
    }
    if at["week"].is_none() && options.week.is_none() {
        return Err(Error::format(
            source,
            Some(1),
            None,
            "the file does not say its week (no weekStartDate column): give --week \
                     YYYY-MM-DD, the Monday the week starts on",
        ));
    }
    let mut files: BTreeMap<(NaiveDate, &'static str, VenueType), Vec<AtsRow>> = BTreeMap::new();
    // A key twice in one file would leave one row standing: the second is refused.
    let mut first_line: HashMap<(NaiveDate, &'static str, VenueType, String, String), u64> =
        HashMap::new();
    for fields in table.fields(&at, source, refused) {
        let row = (|| -> std::result::Result<_, Rejected> {
            let week = match fields.text("week") {
                Some(text) => parse_date(text)
                    .ok_or_else(|| fields.reject("week", format!("{text:?} is not a date")))?,
                None => options
                    .week
                    .ok_or_else(|| fields.reject("week", "no week start, and no --week".into()))?,
            };
            let tier =
                tier(fields.text("tier"), fields.text("tier_description")).ok_or_else(|| {
                    fields.reject(
                        "tier_description",
                        "not a FINRA tier (NMS Tier 1, NMS Tier 2, OTC)".into(),
                    )
                })?;
            let venue_type = match fields.text("summary_type") {
                Some(code) => VenueType::of_summary_type(code).ok_or_else(|| {
                    fields.reject("summary_type", format!("{code:?} is not ATS_… or OTC_…"))
                })?,
                None => options.venue_type.unwrap_or(VenueType::Ats),
            };
            let symbol = fields.required("symbol")?.trim().to_ascii_uppercase();
            let mpid = fields.required("mpid")?.trim().to_ascii_uppercase();
            if symbol.is_empty() || mpid.is_empty() {
                return Err(fields.reject("mpid", "no symbol or no MPID".into()));
            }
            let shares_text = fields.required("shares")?;
            let shares = parse_count(shares_text).ok_or_else(|| {
                fields.reject("shares", format!("{shares_text:?} is not a share count"))
            })?;
            let trades = match fields.text("trades") {
                Some(text) => Some(parse_count(text).map(|t| t as i64).ok_or_else(|| {
                    fields.reject("trades", format!("{text:?} is not a trade count"))
                })?),
                None => None,
            };
            let last_update = match fields.text("last_update") {
                Some(text) => Some(parse_date(text).ok_or_else(|| {
                    fields.reject("last_update", format!("{text:?} is not a date"))
                })?),
                None => None,
            };
            Ok((
                (week, tier, venue_type),
                AtsRow {
                    tier_description: fields.text("tier_description").map(str::to_string),
                    symbol,
                    issue_name: fields.text("issue_name").map(str::to_string),
                    mpid,
                    venue_name: fields.text("venue_name").map(str::to_string),
                    weekly_shares: shares,
                    weekly_trades: trades,
                    last_update,
                    line: fields.record.line,
                },
            ))
        })();
        match row {
            Ok((key, row)) => {
                let unique = (key.0, key.1, key.2, row.symbol.clone(), row.mpid.clone());
                match first_line.get(&unique) {
                            Some(first) => refused.push(fields.reject(
                                "mpid",
                                format!(
                                    "a second row for {} at {} in the week of {} (the first is line {first})",
                                    row.symbol, row.mpid, key.0
                                ),
                            )),
                            None => {
                                first_line.insert(unique, row.line);
                                files.entry(key).or_default().push(row);
                            }
                        }
            }
            Err(rejected) => refused.push(rejected),
        }
    }
    Ok(files)
}

/// The fuzz targets' entry (fuzz/): reads a file's bytes (named `path`, whose extension picks
/// the layout), or with `json` an API answer (a JSON array of records), as an ingest does, up to
/// the rows it would land. Returns the rows read and refused.
#[doc(hidden)]
pub fn read_for_fuzzing(
    path: &Path,
    bytes: Vec<u8>,
    json: bool,
    options: &AtsOptions,
) -> Result<(usize, usize)> {
    let table = if json {
        let records: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&bytes)
                .map_err(|e| Error::format("fuzz", None, None, e.to_string()))?;
        records_table(&records)
    } else {
        tabular::parse(path, bytes)?
    };
    let mut refused = Vec::new();
    let files = read_rows(&table, "fuzz", options, &mut refused)?;
    Ok((files.values().map(Vec::len).sum(), refused.len()))
}

fn land_table(
    lake: &Lake,
    table: &tabular::Table,
    source: &str,
    options: &AtsOptions,
    refused: &mut Vec<Rejected>,
) -> Result<u64> {
    let files = read_rows(table, source, options, refused)?;
    let now = Utc::now();
    let mut transaction = Transaction::new(lake);
    let mut landed = 0;
    for ((week, tier, venue_type), rows) in files {
        landed += rows.len() as u64;
        let n = rows.len();
        let batch = BatchBuilder::new(&ATS_WEEKLY, n)
            .column("tier", StringArray::from(vec![tier; n]))?
            .column(
                "tier_description",
                StringArray::from_iter(rows.iter().map(|r| r.tier_description.as_deref())),
            )?
            .column(
                "venue_type",
                StringArray::from(vec![venue_type.as_str(); n]),
            )?
            .column(
                "symbol",
                StringArray::from_iter_values(rows.iter().map(|r| &r.symbol)),
            )?
            .column(
                "issue_name",
                StringArray::from_iter(rows.iter().map(|r| r.issue_name.as_deref())),
            )?
            .column(
                "mpid",
                StringArray::from_iter_values(rows.iter().map(|r| &r.mpid)),
            )?
            .column(
                "venue_name",
                StringArray::from_iter(rows.iter().map(|r| r.venue_name.as_deref())),
            )?
            .column(
                "weekly_shares",
                Float64Array::from_iter_values(rows.iter().map(|r| r.weekly_shares)),
            )?
            .column(
                "weekly_trades",
                Int64Array::from_iter(rows.iter().map(|r| r.weekly_trades)),
            )?
            .column(
                "last_update_date",
                Date32Array::from_iter(rows.iter().map(|r| r.last_update.map(days_since_epoch))),
            )?
            .provenance(source, rows.iter().map(|r| r.line), now)?
            .finish()?;
        let week = date_partition(week);
        let stem = format!("{tier}-{}", venue_type.as_str().to_ascii_lowercase());
        transaction.upsert(&ATS_WEEKLY, Some(&week), &stem, batch)?;
    }
    transaction.commit()?;
    Ok(landed)
}

/// FINRA's query API host.
pub const FINRA_API_BASE_URL: &str = "https://api.finra.org";

/// FINRA's OAuth token endpoint (client credentials grant), for API credentials.
pub const FINRA_TOKEN_URL: &str = "https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token";

/// An API client's credentials from FINRA's API Console. Without them the API serves its public
/// data sets (the OTC transparency data among them) at lower limits.
#[derive(Debug, Clone)]
pub struct ApiCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// The token endpoint ([`FINRA_TOKEN_URL`] unless configured).
    pub token_url: String,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// An access token for `credentials`: a POST to the token endpoint with the client id and
/// secret as Basic authorization and `grant_type=client_credentials`.
pub async fn access_token(http: &HttpClient, credentials: &ApiCredentials) -> Result<String> {
    let url = format!(
        "{}?grant_type=client_credentials",
        credentials.token_url.trim_end_matches('?')
    );
    let refused = |message: String| {
        Error::http(
            &credentials.token_url,
            format!(
                "{message}: check finra.client_id and finra.client_secret in the config (or \
                 $WHALEWATCH_FINRA_CLIENT_ID and $WHALEWATCH_FINRA_CLIENT_SECRET)"
            ),
        )
    };
    let answer = match http
        .post(
            &url,
            None,
            Authorization::Basic(&credentials.client_id, &credentials.client_secret),
        )
        .await
    {
        Ok(Fetched::Body(body)) => body,
        Ok(Fetched::NotFound) => return Err(refused("no token endpoint there (HTTP 404)".into())),
        Err(error @ Error::Http { .. }) if !error.is_unreachable() => {
            let Error::Http { message, .. } = &error else {
                return Err(error);
            };
            return Err(refused(format!("the token request failed ({message})")));
        }
        Err(other) => return Err(other),
    };
    serde_json::from_slice::<TokenAnswer>(&answer)
        .map(|t| t.access_token)
        .map_err(|e| refused(format!("the answer has no access_token ({e})")))
}

/// The weekly summary's path under the API host.
const WEEKLY_SUMMARY_PATH: &str = "data/group/otcMarket/name/weeklySummary";

/// The API's records as a table: the union of their fields as the header (in first-seen order),
/// each record's values as text, its position across the pages as its line.
fn records_table(records: &[serde_json::Map<String, serde_json::Value>]) -> tabular::Table {
    let mut header: Vec<String> = Vec::new();
    for record in records {
        for key in record.keys() {
            if !header.contains(key) {
                header.push(key.clone());
            }
        }
    }
    let rows = records
        .iter()
        .enumerate()
        .map(|(i, record)| tabular::Record {
            line: i as u64 + 1,
            fields: header
                .iter()
                .map(|key| match record.get(key) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(text)) => Some(text.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect(),
            raw: serde_json::Value::Object(record.clone()).to_string(),
            problem: None,
        })
        .collect();
    tabular::Table { header, rows }
}

/// Fetches FINRA's weekly summary for each week and tier from its query API, a page of
/// `page_size` records at a time, and lands each week and tier whole (or, on any failure, not
/// at all). A week FINRA has not published yet answers no records.
// The API's request (host, credentials, weeks, tiers, page size) is its arguments: a struct for
// them would only be taken apart again here.
#[allow(clippy::too_many_arguments)]
pub async fn ingest_api(
    lake: &Lake,
    http: &HttpClient,
    base_url: &str,
    credentials: Option<&ApiCredentials>,
    weeks: &[NaiveDate],
    tiers: &[String],
    page_size: usize,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let _lock = lake.lock()?;
    // One token for the run: FINRA's last 30 minutes, longer than a run of a few weeks.
    let token = match credentials {
        Some(credentials) => Some(access_token(http, credentials).await?),
        None => None,
    };
    let authorization = match &token {
        Some(token) => Authorization::Bearer(token),
        None => Authorization::None,
    };
    let mut run = IngestRun::new(&ATS_WEEKLY);
    progress.add_work((weeks.len() * tiers.len()) as u64);
    let url = format!("{}/{WEEKLY_SUMMARY_PATH}", base_url.trim_end_matches('/'));
    let sources = weeks.iter().flat_map(|&week| {
        let url = &url;
        tiers.iter().map(move |tier| RemoteSource {
            url: format!("{url}?weekStartDate={week}&tierIdentifier={tier}"),
            label: format!("{tier} {week}"),
            when_absent: (
                SourceStatus::NotPublished,
                "FINRA's API has no weekly summary there yet (Tier 1 is published two weeks after \
                 the week, the rest four)"
                    .into(),
            ),
            item: (week, tier.as_str()),
        })
    });
    // Every page of a week and tier, as one JSON array: what lands is the week whole.
    let fetch = async |source: &RemoteSource<(NaiveDate, &str)>| -> Result<Fetched> {
        let (week, tier) = source.item;
        let mut records: Vec<serde_json::Map<String, serde_json::Value>> = Vec::new();
        loop {
            let body = serde_json::json!({
                "limit": page_size,
                "offset": records.len(),
                "compareFilters": [
                    {"compareType": "EQUAL", "fieldName": "weekStartDate",
                     "fieldValue": week.format("%Y-%m-%d").to_string()},
                    {"compareType": "EQUAL", "fieldName": "tierIdentifier",
                     "fieldValue": tier},
                ],
            })
            .to_string();
            let page = match http.post(&url, Some(&body), authorization).await? {
                Fetched::Body(bytes) => bytes,
                Fetched::NotFound => return Ok(Fetched::NotFound),
            };
            // An empty answer is an empty page (FINRA sends nothing for no records).
            let page: Vec<serde_json::Map<String, serde_json::Value>> =
                if page.iter().all(u8::is_ascii_whitespace) {
                    Vec::new()
                } else {
                    serde_json::from_slice(&page).map_err(|e| {
                        Error::format(
                            &source.url,
                            None,
                            None,
                            format!(
                                "page at offset {} is not a JSON array of records: {e}",
                                records.len()
                            ),
                        )
                    })?
                };
            let full = page.len() >= page_size;
            records.extend(page);
            if !full {
                break;
            }
        }
        if records.is_empty() {
            return Ok(Fetched::NotFound);
        }
        let bytes = serde_json::to_vec(&records)
            .map_err(|e| Error::format(&source.url, None, None, e.to_string()))?;
        Ok(Fetched::Body(bytes))
    };
    let landed = land_fetched_sources(
        lake,
        &mut run,
        sources,
        progress,
        fetch,
        |source, bytes, rejected| {
            let records: Vec<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_slice(bytes)
                    .map_err(|e| Error::format(&source.url, None, None, e.to_string()))?;
            let options = AtsOptions {
                week: Some(source.item.0),
                venue_type: None,
            };
            let rows = land_table(
                lake,
                &records_table(&records),
                &source.url,
                &options,
                rejected,
            )?;
            Ok((rows, None))
        },
    )
    .await;
    landed.map(|()| IngestReport::of(&run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_from_identifiers_and_descriptions() {
        assert_eq!(tier(Some("T1"), None), Some("T1"));
        assert_eq!(tier(None, Some("NMS Tier 2")), Some("T2"));
        assert_eq!(tier(None, Some("OTC")), Some("OTCE"));
        assert_eq!(tier(Some(""), Some("Tier 3")), None);
    }
}
