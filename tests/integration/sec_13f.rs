//! 13F: real EDGAR full submissions through the collector, the value unit decided per filing,
//! reconciliation against the summary page, CUSIP check digits, and idempotent re-ingest.

use whalewatch::collect::sec_13f;
use whalewatch::lake::Lake;

use crate::support::{fixture, query_rows, run_query_file, snapshot};

/// The five real filings of the fixtures (the data set fixture is made from them too).
pub fn filings() -> Vec<std::path::PathBuf> {
    [
        "0001790837-23-000002.txt",
        "0001140361-23-013281.txt",
        "0001619124-21-000002.txt",
        "13F.0001894188-23-000007.txt",
        "0001951757-25-000093.nc",
    ]
    .iter()
    .map(|name| fixture(&format!("sec13f/{name}")))
    .collect()
}

#[tokio::test]
async fn the_value_unit_is_decided_per_filing_not_by_date() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    let report = sec_13f::ingest_files(&lake, &filings()).unwrap();
    assert_eq!(
        (report.landed, report.rows_written, report.rows_rejected),
        (5, 192, 0)
    );
    let rows = query_rows(
        dir.path(),
        "SELECT filer_name, report_period, filed_date, value_unit, rows, table_entry_total, \
         rows_match_total, value_matches_total FROM filings_13f ORDER BY report_period",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            // The ground truths: ACTIAM in thousands; MetLife, filed in 2023 for 2021, in
            // dollars; Bull Street, filed in 2023 for 2022, still in thousands.
            "ACTIAM N.V.|2020-12-31|2021-02-12|thousands|5|5|true|true",
            "METLIFE INC|2021-12-31|2023-03-23|dollars|6|6|true|true",
            "Bull Street Advisors, LLC|2022-12-31|2023-02-28|thousands|90|90|true|true",
            "LTS One Management LP|2023-09-30|2023-11-14|dollars|14|14|true|true",
            "ACORN CREEK CAPITAL LLC|2024-12-31|2025-01-22|dollars|77|77|true|true",
        ]
    );
    // 3M in Bull Street's table: value 287 (thousands) for 2,397 shares is $287,000, $119.73 a
    // share; EDGAR's acceptance time 2023-02-28 13:28:48 New York is 18:28:48 UTC.
    let mmm = query_rows(
        dir.path(),
        "SELECT value_raw, value_usd, amount, cusip_valid, accepted_at FROM holdings_13f \
         WHERE cik = '0001790837' AND cusip = '88579Y101'",
    )
    .await;
    assert_eq!(mmm, vec!["287|287000|2397|true|2023-02-28T18:28:48Z"]);
    // Every filing's dollars: the summary page's total in its unit.
    let totals = query_rows(
        dir.path(),
        "SELECT f.filer_name, sum(h.value_usd) = max(f.table_value_total) * \
         CASE max(f.value_unit) WHEN 'thousands' THEN 1000 ELSE 1 END \
         FROM holdings_13f h JOIN filings_13f f USING (accession) GROUP BY f.filer_name ORDER BY 1",
    )
    .await;
    assert!(totals.iter().all(|r| r.ends_with("|true")), "{totals:?}");
    // In dollars, each filing's total: its summary page's tableValueTotal in the unit the
    // fixtures' notes give (ACTIAM and Bull Street in thousands, MetLife in dollars) and, for
    // the two later filings, in dollars as filed since 2023.
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT cik, sum(value_usd) FROM holdings_13f GROUP BY cik ORDER BY cik"
        )
        .await,
        vec![
            "0001099219|11019796",
            "0001619124|732158000",
            "0001790837|192767000",
            "0001894188|454926000",
            "0001994827|194611845",
        ]
    );
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(*) FROM holdings_13f WHERE NOT cusip_valid"
        )
        .await,
        vec!["0"]
    );

    // Ingesting again changes nothing.
    let before = snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("_13f"))
        .count();
    sec_13f::ingest_files(&lake, &filings()).unwrap();
    let after = snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("_13f"))
        .count();
    assert_eq!(before, after);
    assert_eq!(
        query_rows(
            dir.path(),
            "SELECT count(*), count(DISTINCT accession) FROM filings_13f"
        )
        .await,
        vec!["5|5"]
    );
    assert_eq!(
        query_rows(dir.path(), "SELECT count(*) FROM holdings_13f").await,
        vec!["192"]
    );
}

#[tokio::test]
async fn a_filing_that_does_not_reconcile_is_flagged_and_bad_rows_are_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // ACTIAM's filing with one CUSIP check digit broken (037833100 → 037833109), one row's value
    // made unreadable, and so one row fewer than its tableEntryTotal of 5.
    let text = std::fs::read_to_string(fixture("sec13f/0001619124-21-000002.txt")).unwrap();
    let broken = text.replacen("037833100", "037833109", 1).replacen(
        "<ns1:value>66793</ns1:value>",
        "<ns1:value>n/a</ns1:value>",
        1,
    );
    assert_ne!(broken, text);
    let path = dir.path().join("0001619124-21-000002.txt");
    std::fs::write(&path, broken).unwrap();
    let report = sec_13f::ingest_files(&lake, &[path]).unwrap();
    assert_eq!((report.rows_written, report.rows_rejected), (4, 1));
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT rows, table_entry_total, rows_match_total, value_matches_total FROM filings_13f"
        )
        .await,
        vec!["4|5|false|false"]
    );
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT cusip FROM holdings_13f WHERE NOT cusip_valid"
        )
        .await,
        vec!["037833109"]
    );
    let refused = query_rows(
        lake.root(),
        "SELECT line, field, reason FROM rejected_records",
    )
    .await;
    // The refused row is named by its line in the file: where its <ns1:infoTable> opens.
    let broken_text = std::fs::read_to_string(dir.path().join("0001619124-21-000002.txt")).unwrap();
    let second_row_at = broken_text
        .match_indices("<ns1:infoTable>")
        .nth(1)
        .unwrap()
        .0;
    let line = broken_text[..second_row_at].matches('\n').count() + 1;
    assert_eq!(line, 126);
    assert_eq!(
        refused,
        vec![format!("{line}|value|information table row 2: no number")]
    );
}

mod over_http {
    use std::time::Duration;

    use chrono::NaiveDate;
    use whalewatch::collect::http::{HttpClient, HttpConfig};
    use whalewatch::collect::sec_13f::{check_user_agent, ingest_edgar, IndexSpan};
    use whalewatch::lake::Lake;

    use crate::support::{fixture, query_rows, Reply, TestServer};

    const INDEX: &str = "/Archives/edgar/daily-index/2023/QTR1/form.20230228.idx";
    const BULL_STREET: &str = "/Archives/edgar/data/1790837/0001790837-23-000002.txt";
    const METLIFE: &str = "/Archives/edgar/data/1099219/0001140361-23-013281.txt";
    const MISSING: &str = "/Archives/edgar/data/1000001/0001000001-23-000001.txt";

    /// A daily form index in EDGAR's layout (the preamble and header of the real index of
    /// 2020-03-18), listing two real 13F-HR filings, one that EDGAR does not have, and a 10-K.
    fn index() -> String {
        let real =
            std::fs::read_to_string(fixture("sec13f/edgar_index/form.20200318.idx")).unwrap();
        let preamble: String = real
            .lines()
            .take_while(|l| !l.starts_with("-----"))
            .map(|l| format!("{l}\n"))
            .collect();
        let line = |form: &str, company: &str, cik: &str, path: &str| {
            format!(
                "{form:<12}{company:<62}{cik:<12}20230228    {}         \n",
                &path["/Archives/".len()..]
            )
        };
        format!(
            "{preamble}{}\n{}{}{}{}",
            "-".repeat(140),
            line(
                "10-K",
                "SOME COMPANY INC",
                "1000002",
                "/Archives/edgar/data/1000002/0001000002-23-000001.txt"
            ),
            line(
                "13F-HR",
                "Bull Street Advisors, LLC",
                "1790837",
                BULL_STREET
            ),
            line("13F-HR", "METLIFE INC", "1099219", METLIFE),
            line("13F-HR", "GONE CAPITAL LLC", "1000001", MISSING),
        )
    }

    fn client(server: &TestServer, max_retries: u32) -> (HttpClient, String) {
        let config = HttpConfig {
            user_agent: "whalewatch-tests research tests@example.com".to_string(),
            timeout: Duration::from_secs(10),
            max_retries,
            initial_backoff: Duration::from_millis(5),
            max_requests_per_second: 1000.0,
        };
        (HttpClient::new(config).unwrap(), server.base_url.clone())
    }

    fn day() -> IndexSpan {
        IndexSpan::Day(NaiveDate::from_ymd_opt(2023, 2, 28).unwrap())
    }

    #[tokio::test]
    async fn the_index_leads_to_the_filings_and_a_second_run_fetches_nothing_again() {
        let server = TestServer::start();
        server.route(INDEX, vec![Reply::ok(index())]);
        let file = |name: &str| std::fs::read(fixture(&format!("sec13f/{name}"))).unwrap();
        server.route(
            BULL_STREET,
            vec![Reply::ok(file("0001790837-23-000002.txt"))],
        );
        server.route(METLIFE, vec![Reply::ok(file("0001140361-23-013281.txt"))]);
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let (http, base) = client(&server, 2);
        let progress = whalewatch::collect::NoProgress;
        let report = ingest_edgar(&lake, &http, &base, &[day()], &[], &progress)
            .await
            .unwrap();
        assert_eq!(
            (report.landed, report.not_published, report.rows_written),
            (2, 1, 96)
        );
        assert_eq!(
            server.hits("/Archives/edgar/data/1000002/0001000002-23-000001.txt"),
            0,
            "not a 13F"
        );
        // Every request declared the User-Agent with its contact.
        assert!(server
            .requests
            .lock()
            .unwrap()
            .iter()
            .all(|(_, agent)| agent.as_deref()
                == Some("whalewatch-tests research tests@example.com")));
        assert_eq!(
            query_rows(
                dir.path(),
                "SELECT filer_name, value_unit, rows FROM filings_13f ORDER BY filer_name"
            )
            .await,
            vec![
                "Bull Street Advisors, LLC|thousands|90",
                "METLIFE INC|dollars|6"
            ]
        );
        // Resumed: the landed filings are not fetched again.
        ingest_edgar(&lake, &http, &base, &[day()], &[], &progress)
            .await
            .unwrap();
        assert_eq!((server.hits(BULL_STREET), server.hits(METLIFE)), (1, 1));
        // --cik keeps one filer.
        let other = tempfile::tempdir().unwrap();
        let lake = Lake::new(other.path());
        let only = ingest_edgar(
            &lake,
            &http,
            &base,
            &[day()],
            &["0001099219".to_string()],
            &progress,
        )
        .await
        .unwrap();
        assert_eq!(only.rows_written, 6);
    }

    #[tokio::test]
    async fn a_refusing_sec_stops_the_run_and_says_when_to_come_back() {
        let server = TestServer::start();
        server.route(INDEX, vec![Reply::ok(index())]);
        server.route(BULL_STREET, vec![Reply::status(403)]);
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let (http, base) = client(&server, 1);
        let error = ingest_edgar(
            &lake,
            &http,
            &base,
            &[day()],
            &[],
            &whalewatch::collect::NoProgress,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("refusing requests") && error.contains("run the same command again"),
            "{error}"
        );
        // Stopped at the first refusal: MetLife, next in the index, was not asked for.
        assert_eq!(server.hits(METLIFE), 0);
        assert_eq!(server.hits(BULL_STREET), 2, "one try and one retry");
    }

    #[tokio::test]
    async fn the_sec_limit_of_ten_requests_a_second_holds() {
        // An index of 20 filings that are all gone: 21 requests, which at 10 a second take at
        // least 2 s (the first goes at once).
        let real =
            std::fs::read_to_string(fixture("sec13f/edgar_index/form.20200318.idx")).unwrap();
        let preamble: String = real
            .lines()
            .take_while(|l| !l.starts_with("-----"))
            .map(|l| format!("{l}\n"))
            .collect();
        let lines: String = (0..20)
            .map(|i| {
                format!(
                    "{:<12}{:<62}{:<12}20230228    edgar/data/{}/0001000000-23-{:06}.txt\n",
                    "13F-HR",
                    format!("GONE {i} LLC"),
                    1_000_000 + i,
                    1_000_000 + i,
                    i
                )
            })
            .collect();
        let server = TestServer::start();
        server.route(
            INDEX,
            vec![Reply::ok(format!("{preamble}{}\n{lines}", "-".repeat(140)))],
        );
        let config = HttpConfig {
            user_agent: "whalewatch-tests research tests@example.com".to_string(),
            timeout: Duration::from_secs(10),
            max_retries: 0,
            initial_backoff: Duration::from_millis(5),
            max_requests_per_second: 10.0,
        };
        let http = HttpClient::new(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let report = ingest_edgar(
            &Lake::new(dir.path()),
            &http,
            &server.base_url,
            &[day()],
            &[],
            &whalewatch::collect::NoProgress,
        )
        .await
        .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(report.not_published, 20);
        assert_eq!(server.requests.lock().unwrap().len(), 21);
        assert!(
            elapsed >= Duration::from_millis(1990),
            "21 requests in {elapsed:?}"
        );
    }

    #[test]
    fn a_user_agent_without_a_contact_is_refused() {
        assert!(
            check_user_agent("whalewatch/0.1.0 (+https://github.com/whalewatch)")
                .unwrap_err()
                .to_string()
                .contains("WHALEWATCH_USER_AGENT")
        );
        assert!(check_user_agent("Example Capital research jane@example.com").is_ok());
    }

    #[test]
    fn quarters_and_index_urls() {
        assert_eq!(
            IndexSpan::parse_quarter("2024q4")
                .unwrap()
                .url("https://www.sec.gov"),
            "https://www.sec.gov/Archives/edgar/full-index/2024/QTR4/form.idx"
        );
        assert_eq!(day().url("http://h/"), format!("http://h{INDEX}"));
        assert!(IndexSpan::parse_quarter("2024-4").is_err());
    }
}

#[test]
fn the_real_daily_index_of_2020_03_18_reads_whole() {
    let text = std::fs::read_to_string(fixture("sec13f/edgar_index/form.20200318.idx")).unwrap();
    let (entries, refused) =
        whalewatch::collect::sec_13f::edgar_index::parse(&text, "form.20200318.idx").unwrap();
    assert_eq!((entries.len(), refused.len()), (4084, 0));
    let forms: Vec<_> = entries
        .iter()
        .filter(|e| e.form_type.starts_with("13F"))
        .map(|e| (e.form_type.as_str(), e.accession()))
        .collect();
    assert_eq!(
        forms,
        vec![
            ("13F-HR", "0001760076-20-000004"),
            ("13F-HR/A", "0000950123-20-002922")
        ]
    );
    let empty = std::fs::read_to_string(fixture("sec13f/edgar_index/empty-form.idx")).unwrap();
    assert_eq!(
        whalewatch::collect::sec_13f::edgar_index::parse(&empty, "empty")
            .unwrap()
            .0
            .len(),
        0
    );
}

/// Bull Street's real 2022-12-31 filing as an amendment: another accession and acceptance time,
/// the amendment's cover fields, and only the information-table rows `keep` lets through (with
/// `change` applied to each).
fn amendment(
    accession: &str,
    accepted: &str,
    kind: &str,
    keep: impl Fn(usize) -> bool,
    change: impl Fn(&str) -> String,
) -> String {
    let text = std::fs::read_to_string(fixture("sec13f/0001790837-23-000002.txt")).unwrap();
    let text = text
        .replace("0001790837-23-000002", accession)
        .replace("<ACCEPTANCE-DATETIME>20230228132848", &format!("<ACCEPTANCE-DATETIME>{accepted}"))
        .replace("CONFORMED SUBMISSION TYPE:\t13F-HR", "CONFORMED SUBMISSION TYPE:\t13F-HR/A")
        .replace("<submissionType>13F-HR</submissionType>", "<submissionType>13F-HR/A</submissionType>")
        .replace(
            "<reportCalendarOrQuarter>12-31-2022</reportCalendarOrQuarter>",
            &format!(
                "<reportCalendarOrQuarter>12-31-2022</reportCalendarOrQuarter><isAmendment>true</isAmendment>\
                 <amendmentNo>1</amendmentNo><amendmentInfo><amendmentType>{kind}</amendmentType></amendmentInfo>"
            ),
        );
    let start = text.find("<ns1:infoTable>").unwrap();
    let end = text.rfind("</ns1:infoTable>").unwrap() + "</ns1:infoTable>".len();
    let rows: Vec<String> = text[start..end]
        .split_inclusive("</ns1:infoTable>")
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, row)| change(row))
        .collect();
    format!("{}{}{}", &text[..start], rows.concat(), &text[end..])
}

#[tokio::test]
async fn holdings_as_of_a_day_apply_amendments_only_once_filed() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let files = vec![
        fixture("sec13f/0001790837-23-000002.txt"),
        // A complete restatement on 2023-03-10: 3M's value 287 → 300 (thousands).
        write(
            "restated.txt",
            amendment(
                "0001790837-23-000003",
                "20230310120000",
                "RESTATEMENT",
                |_| true,
                |row| row.replace("<ns1:value>287</ns1:value>", "<ns1:value>300</ns1:value>"),
            ),
        ),
        // NEW HOLDINGS on 2023-03-20: one row (the 5th, re-filed as an addition).
        write(
            "added.txt",
            amendment(
                "0001790837-23-000004",
                "20230320120000",
                "NEW HOLDINGS",
                |i| i == 4,
                str::to_string,
            ),
        ),
        // A partial restatement on 2023-04-05: the first 10 rows only.
        write(
            "partial.txt",
            amendment(
                "0001790837-23-000005",
                "20230405120000",
                "RESTATEMENT",
                |i| i < 10,
                str::to_string,
            ),
        ),
    ];
    sec_13f::ingest_files(&lake, &files).unwrap();
    let as_of = |day: &str| {
        let root = lake.root().to_path_buf();
        let sql = format!(
            "SELECT accession, basis, count(*), sum(value_usd) FROM holdings_asof('{day}') GROUP BY 1, 2 ORDER BY 1, 2"
        );
        async move { query_rows(&root, &sql).await }
    };
    // Before the filing was accepted (2023-02-28 13:28 New York): nothing.
    assert!(as_of("2023-02-27").await.is_empty());
    assert_eq!(
        as_of("2023-02-28").await,
        vec!["0001790837-23-000002|original|90|192767000"]
    );
    // The restatement replaces the original once filed: 3M's 13,000 dollars more.
    assert_eq!(
        as_of("2023-03-10").await,
        vec!["0001790837-23-000003|restatement|90|192780000"]
    );
    // New holdings add to the report they amend.
    let added = as_of("2023-03-20").await;
    assert_eq!(added.len(), 2, "{added:?}");
    assert!(added[0].starts_with("0001790837-23-000003|restatement|90|"));
    assert!(added[1].starts_with("0001790837-23-000004|new_holdings|1|"));
    // A restatement with 10 of 90 rows would empty the portfolio: the 80 rows it does not list
    // stay, marked.
    let partial = as_of("2023-04-05").await;
    assert_eq!(partial.len(), 2, "{partial:?}");
    assert!(
        partial[0].starts_with("0001790837-23-000003|kept_after_partial_restatement|80|"),
        "{partial:?}"
    );
    assert!(
        partial[1].starts_with("0001790837-23-000005|restatement|10|"),
        "{partial:?}"
    );
}

#[tokio::test]
async fn institutional_holdings_compare_each_report_with_the_previous() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    // The next quarter, built by editing a copy of Bull Street's real 2022-12-31 filing: 3M
    // (row 1) sold out, AFLAC (row 2) 8,065 → 10,000 shares, row 3's security swapped for
    // Tesla (so row 3's old security is closed and Tesla new), and row 4 reported twice (two
    // discretions, one position).
    let text = std::fs::read_to_string(fixture("sec13f/0001790837-23-000002.txt")).unwrap();
    let text = text
        .replace("0001790837-23-000002", "0001790837-23-000010")
        .replace(
            "<ACCEPTANCE-DATETIME>20230228132848",
            "<ACCEPTANCE-DATETIME>20230510120000",
        )
        .replace(
            "CONFORMED PERIOD OF REPORT:\t20221231",
            "CONFORMED PERIOD OF REPORT:\t20230331",
        )
        .replace("12-31-2022</periodOfReport>", "03-31-2023</periodOfReport>")
        .replace(
            "12-31-2022</reportCalendarOrQuarter>",
            "03-31-2023</reportCalendarOrQuarter>",
        );
    let start = text.find("<ns1:infoTable>").unwrap();
    let end = text.rfind("</ns1:infoTable>").unwrap() + "</ns1:infoTable>".len();
    let mut rows: Vec<String> = text[start..end]
        .split_inclusive("</ns1:infoTable>")
        .map(str::to_string)
        .collect();
    let old_cusip_of_row_3 = rows[2]
        .split("<ns1:cusip>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    rows[1] = rows[1]
        .replace("<ns1:sshPrnamt>8065<", "<ns1:sshPrnamt>10000<")
        .replace("<ns1:value>580<", "<ns1:value>700<");
    rows[2] = rows[2].replace(&old_cusip_of_row_3, "88160R101");
    let twice = rows[3].replace(
        "<ns1:investmentDiscretion>SOLE<",
        "<ns1:investmentDiscretion>DFND<",
    );
    rows.push(twice);
    let next = format!("{}{}{}", &text[..start], rows[1..].concat(), &text[end..]);
    let next_path = dir.path().join("0001790837-23-000010.txt");
    std::fs::write(&next_path, next).unwrap();
    sec_13f::ingest_files(
        &lake,
        &[fixture("sec13f/0001790837-23-000002.txt"), next_path],
    )
    .unwrap();
    let master = dir.path().join("securities.csv");
    std::fs::write(
        &master,
        "cusip,symbol,name,shares_outstanding,valid_from\n\
         001055102,AFL,Aflac Inc,600000000,2022-01-01\n\
         88160R101,TSLA,Tesla Inc,,\n\
         88160R102,BAD,Wrong check digit,,\n",
    )
    .unwrap();
    let report =
        whalewatch::collect::reference::securities::ingest_files(&lake, &[master]).unwrap();
    assert_eq!((report.rows_written, report.rows_rejected), (2, 1));

    let count = |sql: &str| {
        let root = lake.root().to_path_buf();
        let sql = sql.to_string();
        async move { query_rows(&root, &sql).await }
    };
    assert_eq!(
        count(
            "SELECT report_period, count(*), sum(CASE WHEN is_closed_position THEN 1 ELSE 0 END) \
               FROM institutional_holdings_13f GROUP BY 1 ORDER BY 1"
        )
        .await,
        vec!["2022-12-31|90|0", "2023-03-31|91|2"]
    );
    // The first report has nothing to compare with.
    assert_eq!(
        count("SELECT count(*) FROM institutional_holdings_13f WHERE report_period = DATE '2022-12-31' \
               AND is_new_position IS NULL AND shares_change IS NULL")
        .await,
        vec!["90"]
    );
    let aflac = count(
        "SELECT symbol, shares, shares_change, round(shares_change_pct, 4), \
         round(pct_of_shares_outstanding, 7), is_new_position FROM institutional_holdings_13f \
         WHERE report_period = DATE '2023-03-31' AND cusip = '001055102'",
    )
    .await;
    // 1,935 more shares is 23.9926 % of 8,065; 10,000 of 600 M shares is 0.0016667 %.
    assert_eq!(aflac, vec!["AFL|10000|1935|23.9926|0.0016667|false"]);
    let mmm = count(
        "SELECT shares, market_value, shares_change, shares_change_pct, is_closed_position \
         FROM institutional_holdings_13f WHERE report_period = DATE '2023-03-31' AND cusip = '88579Y101'",
    )
    .await;
    assert_eq!(mmm, vec!["0|0|-2397|-100|true"]);
    assert_eq!(
        count(
            "SELECT symbol, is_new_position FROM institutional_holdings_13f \
               WHERE report_period = DATE '2023-03-31' AND cusip = '88160R101'"
        )
        .await,
        vec!["TSLA|true"]
    );
    // Row 4 twice: one position, its shares the sum of both rows, both rows counted.
    let twice = count(
        "SELECT q2.filed_rows, q2.shares = 2 * q1.shares FROM institutional_holdings_13f q1 \
         JOIN institutional_holdings_13f q2 ON q1.cusip = q2.cusip \
         WHERE q1.report_period = DATE '2022-12-31' AND q2.report_period = DATE '2023-03-31' \
           AND q2.filed_rows = 2",
    )
    .await;
    assert_eq!(twice, vec!["2|true"]);
    // whale_wallets: the manager classified by the user's file, AUM from the latest report (the
    // copied summary page: 192,767 thousands), 5 position changes (2 closed, 1 new, AFLAC, the
    // doubled position), Vanguard's short-term government ETF the largest position.
    let types = dir.path().join("managers.csv");
    std::fs::write(&types, "cik,type,name\n1790837,Asset Manager,Bull Street\n").unwrap();
    whalewatch::collect::reference::manager_types::ingest_files(&lake, &[types]).unwrap();
    let wallet = count(
        "SELECT wallet_identifier, name, wallet_type, estimated_aum, first_seen, total_trades, win_rate, \
         top_positions[1], latest_report_period, current_holdings LIKE '{\"%' FROM whale_wallets",
    )
    .await;
    assert_eq!(
        wallet,
        vec!["0001790837|Bull Street|asset_manager|192767000|2023-02-28|5|NULL|Vanguard Sh Term Govt ETF|2023-03-31|true"]
    );
    // The query files. Holders of AFLAC as known on 2023-03-31 (the second quarter's filing
    // came on 2023-05-10) and after: by CUSIP, then by symbol through the master.
    let holders =
        |params: &[&str]| run_query_file(lake.root(), "queries/13f_holders_of.sql", params);
    let before = holders(&["as_of=2023-03-31", "cusip=001055102"]);
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(
        before[1].starts_with("0001790837,\"Bull Street Advisors, LLC\",2022-12-31,"),
        "{}",
        before[1]
    );
    assert!(
        before[1].contains(",8065.0,580000.0,1,original"),
        "{}",
        before[1]
    );
    let after = holders(&["as_of=2023-05-10", "symbol=afl"]);
    assert!(
        after[1].contains(",2023-03-31,") && after[1].contains(",10000.0,700000.0,1,original"),
        "{}",
        after[1]
    );
    // Significant moves: the two exits by default; with the thresholds at 0, Tesla as a new
    // position and the doubled one as a 100 % increase too.
    let moves =
        |params: &[&str]| run_query_file(lake.root(), "queries/13f_significant_moves.sql", params);
    let exits = moves(&["report_period=2023-03-31"]);
    assert_eq!(exits.len(), 3, "{exits:?}");
    assert!(
        exits[1..].iter().all(|l| l.contains(",exit,0.0,")),
        "{exits:?}"
    );
    let all = moves(&[
        "report_period=2023-03-31",
        "min_new_value=0",
        "min_increase_value=0",
    ]);
    assert!(
        all.iter()
            .any(|l| l.contains(",88160R101,,SH,new_position,")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|l| l.contains(",increase,") && l.contains(",100.0,")),
        "{all:?}"
    );
    assert!(
        !all.iter().any(|l| l.contains(",001055102,")),
        "AFLAC grew 24 %, under 50 %: {all:?}"
    );
    // AFLAC's weight against the filing's own rows: 700 (thousands) of the table's total.
    let weight = count(
        "SELECT round(i.pct_of_portfolio, 9) = round(100.0 * 700000 / t.total, 9) \
         FROM institutional_holdings_13f i, \
              (SELECT sum(value_usd) AS total FROM holdings_13f WHERE accession = '0001790837-23-000010') t \
         WHERE i.report_period = DATE '2023-03-31' AND i.cusip = '001055102'",
    )
    .await;
    assert_eq!(weight, vec!["true"]);
    // Portfolio weights add up to 100 % in each report.
    assert_eq!(
        count("SELECT report_period, round(sum(pct_of_portfolio), 9) FROM institutional_holdings_13f \
               GROUP BY 1 ORDER BY 1")
        .await,
        vec!["2022-12-31|100", "2023-03-31|100"]
    );
}

#[tokio::test]
async fn malformed_xml_fails_the_filing_and_a_missing_table_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let text = std::fs::read_to_string(fixture("sec13f/0001619124-21-000002.txt")).unwrap();
    // A cut-off information table: the filing fails whole and the lake stays empty.
    let cut = dir.path().join("cut.txt");
    std::fs::write(&cut, text.replacen("</ns1:infoTable>", "", 1)).unwrap();
    let report = sec_13f::ingest_files(&lake, &[cut]).unwrap();
    assert_eq!((report.landed, report.failures.len()), (0, 1));
    assert!(
        report.failures[0].1.contains("does not parse"),
        "{:?}",
        report.failures
    );
    assert_eq!(
        query_rows(lake.root(), "SELECT count(*) FROM filings_13f").await,
        vec!["0"]
    );
    // No information table at all: the cover lands, and the missing rows show.
    let start = text.find("<DOCUMENT>\n<TYPE>INFORMATION TABLE").unwrap();
    let end = text.rfind("</DOCUMENT>").unwrap() + "</DOCUMENT>".len();
    let bare = dir.path().join("bare.txt");
    std::fs::write(&bare, format!("{}{}", &text[..start], &text[end..])).unwrap();
    sec_13f::ingest_files(&lake, &[bare]).unwrap();
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT rows, table_entry_total, rows_match_total FROM filings_13f"
        )
        .await,
        vec!["0|5|false"]
    );
}

#[tokio::test]
async fn a_later_report_without_holdings_ends_the_old_ones_and_periods_can_be_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path().join("lake"));
    let text = std::fs::read_to_string(fixture("sec13f/0001619124-21-000002.txt")).unwrap();
    // ACTIAM's next quarter as a 13F-NT: its holdings are reported by another manager.
    let start = text.find("<DOCUMENT>\n<TYPE>INFORMATION TABLE").unwrap();
    let end = text.rfind("</DOCUMENT>").unwrap() + "</DOCUMENT>".len();
    let notice = format!("{}{}", &text[..start], &text[end..])
        .replace("0001619124-21-000002", "0001619124-21-000009")
        .replace(
            "<ACCEPTANCE-DATETIME>20210212100642",
            "<ACCEPTANCE-DATETIME>20210512100000",
        )
        .replace(
            "CONFORMED SUBMISSION TYPE:\t13F-HR",
            "CONFORMED SUBMISSION TYPE:\t13F-NT",
        )
        .replace(
            "<submissionType>13F-HR</submissionType>",
            "<submissionType>13F-NT</submissionType>",
        )
        .replace("12-31-2020</periodOfReport>", "03-31-2021</periodOfReport>")
        .replace(
            "12-31-2020</reportCalendarOrQuarter>",
            "03-31-2021</reportCalendarOrQuarter>",
        );
    let notice_path = dir.path().join("notice.txt");
    std::fs::write(&notice_path, notice).unwrap();
    sec_13f::ingest_files(
        &lake,
        &[fixture("sec13f/0001619124-21-000002.txt"), notice_path],
    )
    .unwrap();
    let asof = |day: &str| {
        let root = lake.root().to_path_buf();
        let sql = format!("SELECT count(*) FROM holdings_asof('{day}')");
        async move { query_rows(&root, &sql).await }
    };
    assert_eq!(asof("2021-05-11").await, vec!["5"]);
    assert_eq!(
        asof("2021-05-12").await,
        vec!["0"],
        "the notice ends the 2020 holdings"
    );
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT report_period, count(*) FROM institutional_holdings_13f \
             WHERE is_closed_position GROUP BY 1"
        )
        .await,
        vec!["2021-03-31|5"]
    );
    // Two master rows for Apple that both hold: one position, not two.
    let master = dir.path().join("master.csv");
    std::fs::write(
        &master,
        "cusip,symbol,name,shares_outstanding,valid_from\n037833100,AAPL,Apple,,\n037833100,AAPL,Apple Inc,,2020-10-01\n",
    )
    .unwrap();
    whalewatch::collect::reference::securities::ingest_files(&lake, &[master]).unwrap();
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT company_name, shares FROM institutional_holdings_13f \
             WHERE report_period = DATE '2020-12-31' AND symbol = 'AAPL'"
        )
        .await,
        vec!["Apple Inc|1733777"]
    );
    let holders = run_query_file(
        lake.root(),
        "queries/13f_holders_of.sql",
        &["as_of=2021-03-01", "symbol=aapl"],
    );
    assert_eq!(holders.len(), 2, "{holders:?}");
    assert!(
        holders[1].contains(",1733777.0,230054000.0,1,"),
        "{}",
        holders[1]
    );
    // The original filing corrected to another period: nothing stays under the old one.
    let corrected = text
        .replace("12-31-2020</periodOfReport>", "09-30-2020</periodOfReport>")
        .replace(
            "12-31-2020</reportCalendarOrQuarter>",
            "09-30-2020</reportCalendarOrQuarter>",
        );
    let corrected_path = dir
        .path()
        .join("corrected")
        .join("0001619124-21-000002.txt");
    std::fs::create_dir(corrected_path.parent().unwrap()).unwrap();
    std::fs::write(&corrected_path, corrected).unwrap();
    sec_13f::ingest_files(&lake, &[corrected_path]).unwrap();
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT report_period, count(*) FROM filings_13f \
             WHERE accession = '0001619124-21-000002' GROUP BY 1"
        )
        .await,
        vec!["2020-09-30|1"]
    );
    assert_eq!(
        query_rows(
            lake.root(),
            "SELECT report_period, count(*) FROM holdings_13f GROUP BY 1"
        )
        .await,
        vec!["2020-09-30|5"]
    );
}
