//! The SEC's Form 13F data sets: the five real filings of the fixtures, laid out as a data set by
//! an independent Python reading (tests/fixtures/sec13f/data_set/make_data_set.py), must land the
//! same holdings as the EDGAR collector; a filing never lands twice whichever way it came in;
//! truncated and incomplete ZIPs fail whole; bad rows are refused with their line.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use whalewatch::collect::http::{HttpClient, HttpConfig};
use whalewatch::collect::sec_13f::{self, bulk as sec_13f_bulk};
use whalewatch::lake::Lake;

use crate::sec_13f::filings;
use crate::support::{fixture, query_rows, snapshot, Reply, TestServer};

fn data_set() -> PathBuf {
    fixture("sec13f/data_set/realfilings_form13f.zip")
}

/// The data set's members as text, by name.
fn members(zip: &Path) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().unwrap().to_string(), text)
        })
        .collect()
}

/// Writes a ZIP of `members` at `path`.
fn write_zip(path: &Path, members: &[(String, String)]) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in members {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
}

const HOLDINGS: &str =
    "SELECT accession, \"row\", cik, issuer, class, cusip, cusip_valid, figi, value_raw, \
     value_usd, value_unit, amount, amount_type, put_call, investment_discretion, other_managers, \
     voting_sole, voting_shared, voting_none FROM holdings_13f ORDER BY accession, \"row\"";
const FILINGS: &str = "SELECT accession, cik, filer_name, form_type, report_period, filed_date, \
     report_type, is_amendment, amendment_no, amendment_type, other_managers_count, table_entry_total, \
     table_value_total, rows, value_sum_raw, value_unit, rows_match_total, value_matches_total \
     FROM filings_13f ORDER BY accession";

#[tokio::test]
async fn a_data_set_lands_the_same_holdings_as_the_edgar_filings() {
    let edgar = tempfile::tempdir().unwrap();
    sec_13f::ingest_files(&Lake::new(edgar.path()), &filings()).unwrap();
    let bulk = tempfile::tempdir().unwrap();
    let report = sec_13f_bulk::ingest_files(&Lake::new(bulk.path()), &[data_set()]).unwrap();
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (1, 192, 0)
    );
    let holdings = query_rows(bulk.path(), HOLDINGS).await;
    assert_eq!(holdings.len(), 192);
    assert_eq!(holdings, query_rows(edgar.path(), HOLDINGS).await);
    assert_eq!(
        query_rows(bulk.path(), FILINGS).await,
        query_rows(edgar.path(), FILINGS).await
    );
    // The ground truths hold here too, and the data set's unpadded CIKs are EDGAR's ten digits.
    assert_eq!(
        query_rows(
            bulk.path(),
            "SELECT cik, filer_name, value_unit, holdings_file, accepted_at IS NULL, \
             rows_match_total AND value_matches_total FROM filings_13f ORDER BY report_period"
        )
        .await,
        vec![
            "0001619124|ACTIAM N.V.|thousands|bulk-realfilings|true|true",
            "0001099219|METLIFE INC|dollars|bulk-realfilings|true|true",
            "0001790837|Bull Street Advisors, LLC|thousands|bulk-realfilings|true|true",
            "0001894188|LTS One Management LP|dollars|bulk-realfilings|true|true",
            "0001994827|ACORN CREEK CAPITAL LLC|dollars|bulk-realfilings|true|true",
        ]
    );
    // Each row names the data set's INFOTABLE line it came from (the header is line 1).
    assert_eq!(
        query_rows(
            bulk.path(),
            "SELECT source_line, cusip, value_usd FROM holdings_13f \
             WHERE cik = '0001790837' AND \"row\" = 1"
        )
        .await,
        vec!["2|88579Y101|287000"]
    );
    assert!(
        query_rows(bulk.path(), "SELECT DISTINCT source FROM holdings_13f").await[0]
            .ends_with("realfilings_form13f.zip!INFOTABLE.tsv")
    );
    // The spec's view answers the same on either lake: one report a manager, so no previous
    // quarter says whether a position is new (NULL), and no two rows of these filings share a position (the fixture's TSV has 192
    // distinct accession, CUSIP, put/call and SH/PRN keys).
    let view = "SELECT cik, report_period, cusip, put_call, shares, market_value, pct_of_portfolio, \
                is_new_position IS NULL FROM institutional_holdings_13f ORDER BY cik, cusip, put_call";
    let from_bulk = query_rows(bulk.path(), view).await;
    assert_eq!(from_bulk.len(), 192);
    assert!(from_bulk.iter().all(|r| r.ends_with("|true")));
    assert_eq!(from_bulk, query_rows(edgar.path(), view).await);
}

#[tokio::test]
async fn a_filing_lands_once_whichever_way_it_came_and_re_ingest_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // Two filings from EDGAR first: the data set leaves them where they are.
    sec_13f::ingest_files(&lake, &filings()[..2]).unwrap();
    let report = sec_13f_bulk::ingest_files(&lake, &[data_set()]).unwrap();
    assert_eq!((report.landed, report.rows_written), (1, 77 + 5 + 14));
    let census = "SELECT holdings_file, count(*) FROM filings_13f GROUP BY 1 ORDER BY 1";
    let expected = vec![
        "0001140361-23-013281|1",
        "0001790837-23-000002|1",
        "bulk-realfilings|3",
    ];
    assert_eq!(query_rows(dir.path(), census).await, expected);
    let totals = "SELECT count(*), count(DISTINCT accession || '/' || \"row\"), sum(value_usd) \
                  FROM holdings_13f";
    let before = query_rows(dir.path(), totals).await;
    assert_eq!(
        before[0].split('|').take(2).collect::<Vec<_>>(),
        ["192", "192"]
    );
    // The same data set again: the same rows, not twice.
    sec_13f_bulk::ingest_files(&lake, &[data_set()]).unwrap();
    assert_eq!(query_rows(dir.path(), census).await, expected);
    assert_eq!(query_rows(dir.path(), totals).await, before);
    // An EDGAR file of a filing the data set landed is refused, not landed a second time.
    let again = sec_13f::ingest_files(&lake, &filings()[2..3]).unwrap();
    assert_eq!(again.landed, 0);
    assert!(
        again.failures[0].1.contains("is in the lake already"),
        "{:?}",
        again.failures
    );
    assert_eq!(query_rows(dir.path(), totals).await, before);
    // One holdings file per report period for the data set.
    let files: Vec<_> = walk(&dir.path().join("holdings_13f"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/bulk-realfilings.v"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir).into_keys().collect()
}

/// Everything but the run's own record: the ingest log and the refused records.
fn datasets(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, _)| {
            !p.to_string_lossy().contains("ingest_log")
                && !p.to_string_lossy().contains("rejected_records")
        })
        .collect()
}

#[tokio::test]
async fn a_truncated_or_incomplete_zip_fails_whole_and_the_lake_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    sec_13f_bulk::ingest_files(&lake, &[data_set()]).unwrap();
    let before = datasets(lake.root());
    // An interrupted download: the ZIP's central directory never arrived.
    let bytes = std::fs::read(data_set()).unwrap();
    let truncated = dir.path().join("realfilings_form13f.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let report = sec_13f_bulk::ingest_files(&lake, &[truncated]).unwrap();
    assert_eq!((report.landed, report.failures.len()), (0, 1));
    assert!(
        report.failures[0].1.contains("not a readable ZIP archive")
            && report.failures[0].1.contains("realfilings_form13f.zip"),
        "{:?}",
        report.failures
    );
    assert_eq!(datasets(lake.root()), before);
    // A ZIP without its information table.
    let incomplete = dir.path().join("2024q3_form13f.zip");
    let without: Vec<_> = members(&data_set())
        .into_iter()
        .filter(|(name, _)| name != "INFOTABLE.tsv")
        .collect();
    write_zip(&incomplete, &without);
    let report = sec_13f_bulk::ingest_files(&lake, &[incomplete]).unwrap();
    assert!(
        report.failures[0]
            .1
            .contains("the ZIP has no INFOTABLE.tsv"),
        "{:?}",
        report.failures
    );
    assert_eq!(datasets(lake.root()), before);
}

#[tokio::test]
async fn bad_rows_are_refused_with_their_line_and_their_filing_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let edited: Vec<_> = members(&data_set())
        .into_iter()
        .map(|(name, text)| {
            if name != "INFOTABLE.tsv" {
                return (name, text);
            }
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // Line 3 (Bull Street's AFLAC row): a value that is no number.
            lines[2] = lines[2].replacen("\t580\t", "\t58O\t", 1);
            // Line 4: cut short by a tab.
            let cut: Vec<&str> = lines[3].split('\t').take(9).collect();
            lines[3] = cut.join("\t");
            // A row of a filing the data set does not have.
            lines.push(lines[1].replacen("0001790837-23-000002", "0009999999-24-000001", 1));
            (name, lines.join("\n") + "\n")
        })
        .map(|(name, text)| match name.as_str() {
            // MetLife's filing listed twice.
            "SUBMISSION.tsv" => {
                let second = text.lines().nth(2).unwrap_or_default().to_string();
                (name, format!("{text}{second}\n"))
            }
            _ => (name, text),
        })
        .collect();
    let zip = dir.path().join("2024q3_form13f.zip");
    write_zip(&zip, &edited);
    let report = sec_13f_bulk::ingest_files(&lake, &[zip]).unwrap();
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (1, 190, 4)
    );
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT line, field, reason FROM rejected_records ORDER BY line"
        )
        .await,
        vec![
            "3|VALUE|\"58O\" is not a number",
            "4|NULL|9 fields where the header has 15",
            "7|ACCESSION_NUMBER|a second SUBMISSION row for 0001140361-23-013281 (the first is line 3)",
            "194|ACCESSION_NUMBER|0009999999-24-000001 is not in SUBMISSION.tsv",
        ]
    );
    // Each refusal names the member it came from.
    let members: Vec<String> = query_rows(
        lake.root(),
        "SELECT split_part(source, '!', 2) FROM rejected_records ORDER BY line",
    )
    .await;
    assert_eq!(
        members,
        [
            "INFOTABLE.tsv",
            "INFOTABLE.tsv",
            "SUBMISSION.tsv",
            "INFOTABLE.tsv"
        ]
    );
    // Bull Street's filing lands with the rows it has, and says that it does not reconcile.
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT rows, table_entry_total, rows_match_total, value_matches_total, holdings_file \
             FROM filings_13f WHERE cik = '0001790837'"
        )
        .await,
        vec!["88|90|false|false|bulk-2024q3"]
    );
}

#[tokio::test]
async fn data_sets_are_fetched_from_edgar_politely() {
    let server = TestServer::start();
    let path = "/files/structureddata/data/form-13f-data-sets/realfilings_form13f.zip";
    // Refused once (the SEC's 429), then served.
    server.route(
        path,
        vec![
            Reply::status(429),
            Reply::ok(std::fs::read(data_set()).unwrap()),
        ],
    );
    let http = HttpClient::new(HttpConfig {
        user_agent: "whalewatch-tests research tests@example.com".to_string(),
        timeout: Duration::from_secs(10),
        max_retries: 2,
        initial_backoff: Duration::from_millis(5),
        max_requests_per_second: 1000.0,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let names = vec!["realfilings".to_string(), "2031q1".to_string()];
    let report = sec_13f_bulk::ingest_remote(
        &lake,
        &http,
        &server.base_url,
        &names,
        &whalewatch::collect::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(
        (report.landed, report.not_published, report.rows_written),
        (1, 1, 192)
    );
    assert_eq!(server.hits(path), 2);
    assert!(server
        .requests
        .lock()
        .unwrap()
        .iter()
        .all(|(_, agent)| agent.as_deref() == Some("whalewatch-tests research tests@example.com")));
    assert_eq!(
        query_rows(dir.path(), "SELECT DISTINCT source FROM filings_13f").await,
        vec![format!("{}{path}!SUBMISSION.tsv", server.base_url)]
    );
    // Refused past the retries (the SEC's 10-minute block): the run stops and says so, and the
    // next data set is not asked for.
    let blocked = TestServer::start();
    blocked.route(
        "/files/structureddata/data/form-13f-data-sets/2024q1_form13f.zip",
        vec![Reply::status(403)],
    );
    let names = vec!["2024q1".to_string(), "2024q2".to_string()];
    let error = sec_13f_bulk::ingest_remote(
        &lake,
        &http,
        &blocked.base_url,
        &names,
        &whalewatch::collect::NoProgress,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("blocks for about ten minutes"), "{error}");
    assert_eq!(
        blocked.hits("/files/structureddata/data/form-13f-data-sets/2024q2_form13f.zip"),
        0
    );
}

/// A filing of a made-up data set: (accession, CIK, report period, filing date, rows of
/// (CUSIP, issuer, shares, value in dollars)).
type MadeFiling<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Vec<(String, String, u64, u64)>,
);

/// Lays `filings` out as a Form 13F data set ZIP (dates as the SEC writes them).
fn made_data_set(path: &Path, filings: &[MadeFiling]) {
    let sec_date = |iso: &str| {
        chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
            .unwrap()
            .format("%d-%b-%Y")
            .to_string()
            .to_uppercase()
    };
    let mut submission =
        vec!["ACCESSION_NUMBER\tFILING_DATE\tSUBMISSIONTYPE\tCIK\tPERIODOFREPORT".to_string()];
    let mut cover = vec![
        "ACCESSION_NUMBER\tISAMENDMENT\tAMENDMENTNO\tAMENDMENTTYPE\tFILINGMANAGER_NAME\tREPORTTYPE"
            .to_string(),
    ];
    let mut summary = vec![
        "ACCESSION_NUMBER\tOTHERINCLUDEDMANAGERSCOUNT\tTABLEENTRYTOTAL\tTABLEVALUETOTAL"
            .to_string(),
    ];
    let mut table = vec![INFOTABLE_HEADER.to_string()];
    let mut key = 0;
    for (accession, cik, period, filed, rows) in filings {
        submission.push(format!(
            "{accession}\t{}\t13F-HR\t{cik}\t{}",
            sec_date(filed),
            sec_date(period)
        ));
        cover.push(format!(
            "{accession}\tN\t\t\tMANAGER {cik}\t13F HOLDINGS REPORT"
        ));
        let total: u64 = rows.iter().map(|r| r.3).sum();
        summary.push(format!("{accession}\t0\t{}\t{total}", rows.len()));
        for (cusip, issuer, shares, value) in rows {
            key += 1;
            table.push(format!(
                "{accession}\t{key}\t{issuer}\tCOM\t{cusip}\t\t{value}\t{shares}\tSH\t\tSOLE\t\t{shares}\t0\t0"
            ));
        }
    }
    let text = |lines: Vec<String>| lines.join("\n") + "\n";
    write_zip(
        path,
        &[
            ("SUBMISSION.tsv".to_string(), text(submission)),
            ("COVERPAGE.tsv".to_string(), text(cover)),
            ("SUMMARYPAGE.tsv".to_string(), text(summary)),
            ("INFOTABLE.tsv".to_string(), text(table)),
        ],
    );
}

const INFOTABLE_HEADER: &str = "ACCESSION_NUMBER\tINFOTABLE_SK\tNAMEOFISSUER\tTITLEOFCLASS\tCUSIP\tFIGI\tVALUE\tSSHPRNAMT\tSSHPRNAMTTYPE\tPUTCALL\tINVESTMENTDISCRETION\tOTHERMANAGER\tVOTING_AUTH_SOLE\tVOTING_AUTH_SHARED\tVOTING_AUTH_NONE";

/// A CUSIP with a valid check digit for an eight-character base.
fn with_check_digit(base: &str) -> String {
    (0..10)
        .map(|d| format!("{base}{d}"))
        .find(|c| sec_13f::cusip_valid(c))
        .unwrap()
}

#[tokio::test]
async fn the_consensus_scores_each_stock_as_whalewisdom_defines_it() {
    // Four managers over three quarters; X at $100, Y at $50, Z at $10. D also holds ten $2,000
    // fillers, so that X is 11th in its portfolio: held, but in no top 10.
    let (x, y, z) = ("037833100", "594918104", "88579Y101");
    let row = |cusip: &str, shares: u64, price: u64| {
        (
            cusip.to_string(),
            format!("ISSUER {cusip}"),
            shares,
            shares * price,
        )
    };
    let fillers: Vec<_> = (0..10)
        .map(|i| row(&with_check_digit(&format!("99999{i}AB")), 2_000, 1))
        .collect();
    let d = |q: u32| {
        let mut rows = fillers.clone();
        rows.push(row(x, 10, 100));
        rows.extend((q == 0).then(|| row(z, 1, 10)));
        rows
    };
    let (p0, p1, p2) = ("2024-03-31", "2024-06-30", "2024-09-30");
    let (f0, f1, f2) = ("2024-05-10", "2024-08-10", "2024-11-10");
    let filings: Vec<MadeFiling> = vec![
        (
            "0000000001-24-000001",
            "1",
            p0,
            f0,
            vec![row(x, 100, 100), row(y, 100, 50)],
        ),
        ("0000000002-24-000001", "2", p0, f0, vec![row(x, 100, 100)]),
        ("0000000003-24-000001", "3", p0, f0, vec![row(y, 100, 50)]),
        ("0000000004-24-000001", "4", p0, f0, d(0)),
        (
            "0000000001-24-000002",
            "1",
            p1,
            f1,
            vec![row(x, 200, 100), row(y, 100, 50)],
        ),
        ("0000000002-24-000002", "2", p1, f1, vec![row(x, 50, 100)]),
        (
            "0000000003-24-000002",
            "3",
            p1,
            f1,
            vec![row(y, 100, 50), row(z, 1_000, 10)],
        ),
        ("0000000004-24-000002", "4", p1, f1, d(1)),
        ("0000000001-24-000003", "1", p2, f2, vec![row(x, 200, 100)]),
        (
            "0000000002-24-000003",
            "2",
            p2,
            f2,
            vec![row(x, 100, 100), row(y, 10, 50)],
        ),
        (
            "0000000003-24-000003",
            "3",
            p2,
            f2,
            vec![row(y, 50, 50), row(z, 1_000, 10), row(x, 10, 100)],
        ),
        ("0000000004-24-000003", "4", p2, f2, d(2)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("2024q3_form13f.zip");
    made_data_set(&zip, &filings);
    let lake = Lake::new(dir.path().join("lake"));
    let report = sec_13f_bulk::ingest_files(&lake, &[zip]).unwrap();
    assert_eq!((report.landed, report.rows_rejected), (1, 0));
    let lines = crate::support::run_query_file(
        lake.root(),
        "queries/13f_consensus.sql",
        &["report_period=2024-09-30"],
    );
    let columns: Vec<&str> = lines[0].split(',').collect();
    let pick = |cusip: &str, names: &[&str]| -> String {
        let line = lines
            .iter()
            .find(|l| l.starts_with(cusip))
            .unwrap_or_else(|| panic!("{cusip} in {lines:?}"));
        let values: Vec<&str> = line.split(',').collect();
        names
            .iter()
            .map(|n| values[columns.iter().position(|c| c == n).unwrap()])
            .collect::<Vec<_>>()
            .join(",")
    };
    let attributes = [
        "holders",
        "holders_previous",
        "increasing_or_new",
        "decreasing_or_exiting",
        "in_top10",
        "average_rank",
    ];
    let score = [
        "tfi_pct",
        "tfd_pct",
        "r_pct",
        "top10_pct",
        "tf_pct",
        "heat_map_score",
        "no_prior_base",
    ];
    // By hand. 2024-06-30 against 2024-03-31: X held by A, B, D (ranks 1, 1, 11), A increased,
    // B decreased; Y by A, C (ranks 2, 2), no change; Z by C (rank 1, new) after D sold its one
    // share (exit).
    // 2024-09-30 against 2024-06-30: X held by A, B, C, D (ranks 1, 1, 3, 11: average 4), B
    // increased and C is new (TFI 2), nobody cut (TFD 0), three top 10s; Y by B (new, rank 2)
    // and C (cut to 50, rank 2), A exited (TFD 2); Z by C alone, unchanged.
    assert_eq!(pick(x, &attributes), "4,3,2,0,3,4.0");
    assert_eq!(pick(y, &attributes), "2,2,1,2,2,2.0");
    assert_eq!(pick(z, &attributes), "1,1,0,0,1,1.0");
    // X: TFI 1 -> 2 is +100 %, TFD 1 -> 0 is -100 %, the average rank 13/3 -> 4 is an inverse
    // change of +100/13 = 7.6923 %, TOP10 2 -> 3 +50 %, TF 3 -> 4 +33.3333 %:
    // 100 + 100 + 7.6923 + 50 + 33.3333 = 291.0256.
    assert_eq!(
        pick(x, &score),
        "100.0,-100.0,7.6923,50.0,33.3333,291.0256,"
    );
    // Y: TFI and TFD rise from 0, which has no percent; the rest are unchanged.
    assert_eq!(pick(y, &score), ",,0.0,0.0,0.0,0.0,TFI TFD");
    // Z: TFI 1 -> 0 is -100 %, TFD 1 (D's exit) -> 0 is -100 %: -100 + 100 = 0.
    assert_eq!(pick(z, &score), "-100.0,-100.0,0.0,0.0,0.0,0.0,");
    // Z and D's fillers are held by one manager of four (25 %): out at 30 %.
    let listed = |params: &[&str]| {
        crate::support::run_query_file(lake.root(), "queries/13f_consensus.sql", params)
            .iter()
            .skip(1)
            .map(|l| l[..9].to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&["report_period=2024-09-30", "min_holders_pct=30"]),
        [x, y]
    );
    // A manager type no manager has samples nobody.
    assert!(listed(&["report_period=2024-09-30", "manager_type=pension"]).is_empty());
}

#[tokio::test]
async fn the_other_managers_of_a_combination_report_land_from_either_source() {
    // MetLife's 2021 report, made a combination report of one included manager: in the data
    // set's OTHERMANAGER2 table, and in the EDGAR cover page's summaryPage.
    let dir = tempfile::tempdir().unwrap();
    let with_other: Vec<_> = members(&data_set())
        .into_iter()
        .map(|(name, text)| match name.as_str() {
            "OTHERMANAGER2.tsv" => (
                name,
                format!("{text}0001140361-23-013281\t1\t1234567\t028-00001\t\t\tEXAMPLE SUBSIDIARY LLC\n"),
            ),
            _ => (name, text),
        })
        .collect();
    let zip = dir.path().join("2022q1_form13f.zip");
    write_zip(&zip, &with_other);
    let bulk = Lake::new(dir.path().join("bulk"));
    sec_13f_bulk::ingest_files(&bulk, &[zip.clone()]).unwrap();
    sec_13f_bulk::ingest_files(&bulk, &[zip]).unwrap();
    let text = std::fs::read_to_string(&filings()[1]).unwrap().replacen(
        "</summaryPage>",
        "<otherManagers2Info><otherManager2><sequenceNumber>1</sequenceNumber><otherManager>\
         <cik>0001234567</cik><form13FFileNumber>028-00001</form13FFileNumber>\
         <name>EXAMPLE SUBSIDIARY LLC</name></otherManager></otherManager2></otherManagers2Info></summaryPage>",
        1,
    );
    let file = dir.path().join("0001140361-23-013281.txt");
    std::fs::write(&file, text).unwrap();
    let edgar = Lake::new(dir.path().join("edgar"));
    sec_13f::ingest_files(&edgar, &[file]).unwrap();
    let query = "SELECT accession, cik, report_period, sequence_number, manager_cik, \
                 form13f_file_number, crd_number, name FROM other_managers_13f";
    let expected = vec![
        "0001140361-23-013281|0001099219|2021-12-31|1|0001234567|028-00001|NULL|EXAMPLE SUBSIDIARY LLC",
    ];
    assert_eq!(
        query_rows(bulk.root(), query).await,
        expected,
        "ingested twice, landed once"
    );
    assert_eq!(query_rows(edgar.root(), query).await, expected);
}

/// Issue 14: a small ZIP inflating to one huge line aborted the process with no ingest-log row.
/// A line is now held up to 64 KiB: the data set fails alone, recorded, the lake unchanged.
#[tokio::test]
async fn a_zip_holding_one_endless_line_fails_alone_and_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    sec_13f_bulk::ingest_files(&lake, &[data_set()]).unwrap();
    let before = datasets(lake.root());
    let bomb = dir.path().join("2024q4_form13f.zip");
    let with_bomb: Vec<_> = members(&data_set())
        .into_iter()
        .map(|(name, text)| {
            if name == "INFOTABLE.tsv" {
                let header = text.lines().next().unwrap_or_default().to_string();
                (name, format!("{header}\n{}", "x".repeat(32 << 20)))
            } else {
                (name, text)
            }
        })
        .collect();
    write_zip(&bomb, &with_bomb);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let report = sec_13f_bulk::ingest_files(&lake, &[bomb]).unwrap();
    assert_eq!((report.landed, report.failures.len()), (0, 1));
    assert!(
        report.failures[0]
            .1
            .contains("INFOTABLE.tsv:2: a line longer than 64 KiB"),
        "{:?}",
        report.failures
    );
    assert_eq!(datasets(lake.root()), before);
    let logged = query_rows(
        lake.root(),
        "SELECT status FROM ingest_log WHERE source LIKE '%2024q4_form13f.zip'",
    )
    .await;
    assert_eq!(logged, vec!["failed"]);
}
