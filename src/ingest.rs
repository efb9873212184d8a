//! Ingest jobs as library calls: every `whalewatch ingest …` command is an [`IngestJob`], and
//! [`run`] carries it out with its defaults (facilities, tiers, the API's page size, the SEC's
//! User-Agent check) and returns what happened. The CLI, a scheduler or a watch mode build a job
//! and call [`run`]; none of them decides anything a collector needs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::collect::finra::short_volume::Facility;
use crate::collect::finra::{ats as finra_ats, short_volume as finra_short_volume};
use crate::collect::http::HttpClient;
use crate::collect::reference::{bars, baskets, manager_types, securities};
use crate::collect::sec_13f::{self, bulk as sec_13f_bulk};
use crate::collect::tapes::{cboe_put_call, equity_trades, option_chains, option_trades};
use crate::collect::{IngestReport, Progress};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::Lake;

/// FINRA's API returns at most this many records a page.
const FINRA_API_PAGE_SIZE: usize = 5000;

/// One ingest command, with its sources and options as the user gave them.
#[derive(Debug, Clone)]
pub enum IngestJob {
    /// FINRA Reg SHO daily short-sale volume: one day, a range of days, or local files.
    FinraShortVolume {
        date: Option<NaiveDate>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        /// Facilities to fetch [CNMS]; for files, the facility when the names do not say it.
        facilities: Vec<Facility>,
        files: Vec<PathBuf>,
        base_url: Option<String>,
        without_trailer: bool,
    },
    Bars {
        files: Vec<PathBuf>,
        options: bars::BarsOptions,
    },
    Baskets {
        files: Vec<PathBuf>,
        name: Option<String>,
    },
    OptionTrades {
        files: Vec<PathBuf>,
        quotes: Vec<PathBuf>,
        time_zone: Option<String>,
        columns: Vec<(String, String)>,
    },
    EquityTrades {
        files: Vec<PathBuf>,
        date: Option<NaiveDate>,
        time_zone: Option<String>,
        off_exchange_codes: Vec<String>,
        columns: Vec<(String, String)>,
    },
    OpenInterest {
        files: Vec<PathBuf>,
        options: option_chains::ChainOptions,
    },
    CboePutCall {
        files: Vec<PathBuf>,
        product: Option<String>,
    },
    /// FINRA's weekly ATS and non-ATS volume: downloaded files, or weeks from FINRA's API.
    FinraAts {
        files: Vec<PathBuf>,
        weeks: Vec<NaiveDate>,
        venue_type: Option<String>,
        /// Tiers to fetch from the API [T1, T2, OTCE].
        tiers: Vec<String>,
        base_url: Option<String>,
    },
    /// SEC Form 13F filings from EDGAR's indexes (quarters, days, or every day since), or local
    /// full submissions.
    Sec13f {
        quarters: Vec<String>,
        dates: Vec<NaiveDate>,
        since: Option<NaiveDate>,
        ciks: Vec<String>,
        files: Vec<PathBuf>,
        base_url: Option<String>,
    },
    Sec13fBulk {
        data_sets: Vec<String>,
        files: Vec<PathBuf>,
        base_url: Option<String>,
    },
    Securities {
        files: Vec<PathBuf>,
    },
    ManagerTypes {
        files: Vec<PathBuf>,
    },
}

/// What a job did: one report per dataset run (an options tape with quotes has two), notes for
/// the user, and how long it took.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    pub reports: Vec<IngestReport>,
    pub notes: Vec<String>,
    pub elapsed: Duration,
    /// Rows of `rejected_records` that are no refusal of bad input: prints voided by a tape's
    /// own corrections and cancels. They do not make an ingest partial.
    pub voided: u64,
}

impl IngestSummary {
    /// Sources that failed, across the reports.
    pub fn failed_sources(&self) -> usize {
        self.reports.iter().map(|r| r.failures.len()).sum()
    }

    /// Why the job counts as a failure, if it does: a source failed, or nothing landed of what
    /// was asked for (every row refused, every ordinary trading day's file missing).
    pub fn failure(&self) -> Option<Error> {
        let failed = self.failed_sources();
        let sources: usize = self.reports.iter().map(|r| r.sources).sum();
        if failed > 0 {
            return Some(Error::IngestFailed {
                failed,
                total: sources,
            });
        }
        let written: u64 = self.reports.iter().map(|r| r.rows_written).sum();
        let rejected: u64 = self.reports.iter().map(|r| r.rows_rejected).sum();
        let missing: usize = self.reports.iter().map(|r| r.missing).sum();
        if written == 0 && (rejected > 0 || missing > 0) {
            return Some(Error::NothingLanded(format!(
                "nothing landed: {rejected} rows refused, {missing} files missing on ordinary \
                 trading days (see the ingest_log and rejected_records tables)"
            )));
        }
        None
    }

    /// Records refused from sources that landed (bad input, kept in `rejected_records`), beside
    /// what was voided by the feed's own corrections.
    pub fn refused_rows(&self) -> u64 {
        let rejected: u64 = self.reports.iter().map(|r| r.rows_rejected).sum();
        rejected.saturating_sub(self.voided)
    }

    /// Why the job counts as partial, if it does and is no [`failure`](Self::failure): rows
    /// landed but some records were refused. The binary exits 3 on it, so cron notices input
    /// that lost rows even though the rest landed.
    pub fn partial(&self) -> Option<Error> {
        if self.failure().is_some() {
            return None;
        }
        let refused = self.refused_rows();
        (refused > 0).then(|| Error::RecordsRefused {
            refused,
            ingest_ids: self
                .reports
                .iter()
                .filter(|r| r.rows_rejected > 0)
                .map(|r| r.ingest_id.clone())
                .collect(),
        })
    }

    /// The job's verdict: its failure, else its partial landing, else `Ok`.
    pub fn verdict(&self) -> Result<()> {
        match self.failure().or_else(|| self.partial()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Runs `job` against `lake`, with `config`'s HTTP and FINRA settings.
pub async fn run(
    job: IngestJob,
    lake: &Lake,
    config: &Config,
    progress: &dyn Progress,
) -> Result<IngestSummary> {
    let started = Instant::now();
    let mut voided = 0;
    let mut notes = Vec::new();
    let reports = match job {
        IngestJob::FinraShortVolume {
            date,
            from,
            to,
            facilities,
            files,
            base_url,
            without_trailer,
        } => {
            if !files.is_empty() {
                let facility = match facilities.as_slice() {
                    [] => None,
                    [one] => Some(*one),
                    _ => {
                        return Err(Error::Usage(
                            "with --file, give at most one --facility".to_string(),
                        ))
                    }
                };
                vec![finra_short_volume::ingest_files(
                    lake,
                    &files,
                    facility,
                    !without_trailer,
                )?]
            } else {
                let dates = match (date, from, to) {
                    (Some(date), _, _) => vec![date],
                    (None, Some(from), Some(to)) if from <= to => {
                        from.iter_days().take_while(|d| *d <= to).collect()
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
                let facilities = if facilities.is_empty() {
                    vec![Facility::Cnms]
                } else {
                    facilities
                };
                let http = HttpClient::new(config.http())?;
                let base_url = base_url.unwrap_or_else(|| config.finra_short_volume_base_url());
                vec![
                    finra_short_volume::ingest_dates(
                        lake,
                        &http,
                        &base_url,
                        &facilities,
                        &dates,
                        progress,
                    )
                    .await?,
                ]
            }
        }
        IngestJob::Bars { files, options } => vec![bars::ingest_files(lake, &files, &options)?],
        IngestJob::Baskets { files, name } => {
            vec![baskets::ingest_files(lake, &files, name.as_deref())?]
        }
        IngestJob::OptionTrades {
            files,
            quotes,
            time_zone,
            columns,
        } => {
            let options = option_trades::OptionTradesOptions {
                quotes,
                column_map: columns,
                time_zone: time_zone.as_deref().map(parse_time_zone).transpose()?,
            };
            let report = option_trades::ingest_files(lake, &files, &options)?;
            report.quotes.into_iter().chain([report.trades]).collect()
        }
        IngestJob::EquityTrades {
            files,
            date,
            time_zone,
            off_exchange_codes,
            columns,
        } => {
            let options = equity_trades::EquityTradesOptions {
                column_map: columns,
                time_zone: time_zone.as_deref().map(parse_time_zone).transpose()?,
                date,
                off_exchange_codes,
            };
            let outcome = equity_trades::ingest_files(lake, &files, &options)?;
            voided += outcome.voided as u64;
            if outcome.voided > 0 {
                notes.push(format!(
                    "{} prints voided by corrections and cancels did not land; they are in \
                     rejected_records with the reason 'voided: …'",
                    outcome.voided
                ));
            }
            vec![outcome.report]
        }
        IngestJob::OpenInterest { files, options } => {
            vec![option_chains::ingest_files(lake, &files, &options)?]
        }
        IngestJob::CboePutCall { files, product } => {
            vec![cboe_put_call::ingest_files(
                lake,
                &files,
                product.as_deref(),
            )?]
        }
        IngestJob::Securities { files } => vec![securities::ingest_files(lake, &files)?],
        IngestJob::ManagerTypes { files } => vec![manager_types::ingest_files(lake, &files)?],
        IngestJob::FinraAts {
            files,
            weeks,
            venue_type,
            tiers,
            base_url,
        } => {
            let job = (files, weeks, venue_type, tiers, base_url);
            vec![run_finra_ats(lake, config, job, progress).await?]
        }
        IngestJob::Sec13f {
            quarters,
            dates,
            since,
            ciks,
            files,
            base_url,
        } => {
            if !files.is_empty() {
                vec![sec_13f::ingest_files(lake, &files)?]
            } else {
                let mut spans = quarters
                    .iter()
                    .map(|q| sec_13f::IndexSpan::parse_quarter(q))
                    .collect::<Result<Vec<_>>>()?;
                spans.extend(dates.into_iter().map(sec_13f::IndexSpan::Day));
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
                let http = sec_client(config)?;
                let base_url = base_url.unwrap_or_else(|| sec_13f::EDGAR_BASE_URL.to_string());
                vec![sec_13f::ingest_edgar(lake, &http, &base_url, &spans, &ciks, progress).await?]
            }
        }
        IngestJob::Sec13fBulk {
            data_sets,
            files,
            base_url,
        } => {
            if !files.is_empty() {
                vec![sec_13f_bulk::ingest_files(lake, &files)?]
            } else if data_sets.is_empty() {
                return Err(Error::Usage(
                    "give --data-set 2024q3 (as the SEC names it) or --file PATH.zip".to_string(),
                ));
            } else {
                let names = data_sets
                    .iter()
                    .map(|name| sec_13f_bulk::data_set_name(name))
                    .collect::<Result<Vec<_>>>()?;
                let http = sec_client(config)?;
                let base_url = base_url.unwrap_or_else(|| sec_13f::EDGAR_BASE_URL.to_string());
                vec![sec_13f_bulk::ingest_remote(lake, &http, &base_url, &names, progress).await?]
            }
        }
    };
    for report in &reports {
        notes.extend(report.notes.iter().cloned());
    }
    Ok(IngestSummary {
        reports,
        notes,
        elapsed: started.elapsed(),
        voided,
    })
}

/// The SEC's client: its fair-access policy wants a User-Agent that names a contact.
fn sec_client(config: &Config) -> Result<HttpClient> {
    let http_config = config.http();
    sec_13f::check_user_agent(&http_config.user_agent)?;
    HttpClient::new(http_config)
}

/// FINRA's weekly ATS data: files, weeks, venue type, tiers and API host, as the job gives them.
type AtsJob = (
    Vec<PathBuf>,
    Vec<NaiveDate>,
    Option<String>,
    Vec<String>,
    Option<String>,
);

async fn run_finra_ats(
    lake: &Lake,
    config: &Config,
    (files, weeks, venue_type, tiers, base_url): AtsJob,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    if !files.is_empty() {
        if weeks.len() > 1 {
            return Err(Error::Usage(
                "a downloaded file is one week: give one --week".to_string(),
            ));
        }
        let options = finra_ats::AtsOptions {
            week: weeks.first().copied(),
            venue_type: venue_type
                .as_deref()
                .map(finra_ats::VenueType::parse)
                .transpose()?,
        };
        return finra_ats::ingest_files(lake, &files, &options);
    }
    if weeks.is_empty() {
        return Err(Error::Usage(
            "give --file PATH (a download) or --week YYYY-MM-DD (from FINRA's API)".to_string(),
        ));
    }
    let tiers = if tiers.is_empty() {
        vec!["T1".to_string(), "T2".to_string(), "OTCE".to_string()]
    } else {
        tiers
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect()
    };
    let http = HttpClient::new(config.http())?;
    let base_url = config.finra_api_base_url(base_url);
    let credentials = config.finra_api_credentials()?;
    finra_ats::ingest_api(
        lake,
        &http,
        &base_url,
        credentials.as_ref(),
        &weeks,
        &tiers,
        FINRA_API_PAGE_SIZE,
        progress,
    )
    .await
}

fn parse_time_zone(zone: &str) -> Result<chrono_tz::Tz> {
    zone.parse::<chrono_tz::Tz>().map_err(|_| {
        Error::Usage(format!(
            "--time-zone {zone:?} is not a zone name such as America/New_York or UTC"
        ))
    })
}
