//! EDGAR's form indexes (`full-index/YYYY/QTRn/form.idx`, `daily-index/YYYY/QTRn/form.YYYYMMDD.idx`):
//! a free-text preamble, a `Form Type   Company Name   CIK   Date Filed   File Name` header, a line
//! of dashes, then one fixed-width line per filing.
//!
//! The widths are not to be trusted: a company name longer than its column pushes the CIK and
//! the rest to the right, and lines carry trailing spaces. A line is therefore read from the
//! right (file name, date, CIK are single tokens) and the form type is the text before the
//! Company Name column of the header.

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// One line of a form index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub form_type: String,
    pub company: String,
    pub cik: String,
    pub date_filed: NaiveDate,
    /// The path under `https://www.sec.gov/Archives/`: `edgar/data/CIK/ACCESSION.txt`.
    pub file_name: String,
}

impl IndexEntry {
    /// The accession number, from the file name.
    pub fn accession(&self) -> &str {
        let name = self.file_name.rsplit('/').next().unwrap_or_default();
        name.strip_suffix(".txt").unwrap_or(name)
    }
}

/// Parses a form index. Lines that cannot be read are returned with their line number and the
/// reason, for `rejected_records`.
pub fn parse(text: &str, source: &str) -> Result<(Vec<IndexEntry>, Vec<(u64, String, String)>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let Some(header_at) = lines
        .iter()
        .position(|l| l.starts_with("Form Type") && l.contains("Company Name"))
    else {
        return Err(Error::format(
            source,
            None,
            None,
            "no 'Form Type  Company Name  CIK  Date Filed  File Name' header: not an EDGAR form index",
        ));
    };
    let company_at = lines[header_at].find("Company Name").unwrap_or(12);
    let mut entries = Vec::new();
    let mut refused = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(header_at + 1) {
        let line_no = index as u64 + 1;
        if line.trim().is_empty() || line.trim_start().starts_with("---") {
            continue;
        }
        let entry = (|| -> std::result::Result<IndexEntry, String> {
            if line.len() > crate::collect::tabular::MAX_RECORD_BYTES {
                return Err(format!(
                    "a line of {} bytes: more than the 64 KiB a record may have",
                    line.len()
                ));
            }
            let mut tokens = line.split_whitespace().rev();
            let (Some(file_name), Some(date), Some(cik)) =
                (tokens.next(), tokens.next(), tokens.next())
            else {
                return Err("fewer than five fields".to_string());
            };
            if !cik.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("CIK {cik:?} is not a number"));
            }
            let date_filed = ["%Y%m%d", "%Y-%m-%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(date, f).ok())
                .ok_or_else(|| format!("date {date:?} is not a date"))
                .and_then(|d| crate::collect::fields::check_year(d, date))?;
            // The file name is a path on EDGAR's host that the collector asks for: only EDGAR's own.
            if !file_name.starts_with("edgar/data/")
                || file_name.contains("..")
                || file_name.contains(['\\', '\0', '?', '#'])
            {
                return Err(format!(
                    "file name {file_name:?} is not an EDGAR path (edgar/data/…)"
                ));
            }
            // The text before the CIK token: the form type, then the company name.
            let cik_at = line
                .rfind(&format!(" {cik} "))
                .ok_or_else(|| "no CIK column".to_string())?;
            let left = &line[..cik_at];
            let split = company_at.min(left.len());
            let (form_type, company) = match left.is_char_boundary(split) {
                true => left.split_at(split),
                false => return Err("not plain text".to_string()),
            };
            Ok(IndexEntry {
                form_type: form_type.trim().to_string(),
                company: company.trim().to_string(),
                cik: cik.to_string(),
                date_filed,
                file_name: file_name.to_string(),
            })
        })();
        match entry {
            Ok(entry) => entries.push(entry),
            Err(reason) => refused.push((
                line_no,
                crate::collect::tabular::raw_text(line.as_bytes()),
                reason,
            )),
        }
    }
    Ok((entries, refused))
}

/// The forms a 13F collector takes.
pub const FORMS_13F: [&str; 4] = ["13F-HR", "13F-HR/A", "13F-NT", "13F-NT/A"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_company_names_push_the_columns_right() {
        let text = "Description:           Master Index of EDGAR Dissemination Feed by Form Type\n\
Last Data Received:    March 31, 2021\n\n\
Form Type   Company Name                                                  CIK         Date Filed  File Name\n\
---------------------------------------------------------------------------------------------------------------------------------------------\n\
13F-HR/A    MACQUARIE GROUP LTD                                           1418333     20200318    edgar/data/1418333/0000950123-20-002922.txt         \n\
X-17A-5     UNITED PLANNERS' FINANCIAL SERVICES OF AMERICA A LIMITED PARTNER  820694      2021-02-24  edgar/data/820694/9999999997-21-003146.txt\n\
1-A POS     ALFADAN INC.                                                  1809660     2021-03-26  edgar/data/1809660/0001477932-21-001700.txt\n\
13F-HR      BROKEN LINE\n";
        let (entries, refused) = parse(text, "form.idx").unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].form_type, "13F-HR/A");
        assert_eq!(entries[0].accession(), "0000950123-20-002922");
        assert_eq!(
            (entries[1].company.as_str(), entries[1].cik.as_str()),
            (
                "UNITED PLANNERS' FINANCIAL SERVICES OF AMERICA A LIMITED PARTNER",
                "820694"
            )
        );
        assert_eq!(entries[2].form_type, "1-A POS");
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, 9);
    }

    #[test]
    fn hostile_file_names_impossible_dates_and_endless_lines_are_refused() {
        let header = "Form Type   Company Name                                                  CIK         Date Filed  File Name\n";
        let line = |date: &str, file: &str| {
            format!("13F-HR      A FUND                                                        1418333     {date}    {file}\n")
        };
        let text = [
            header.to_string(),
            line("20200318", "edgar/data/1418333/0000950123-20-002922.txt"),
            line("20200318", "edgar/data/../../x.txt"),
            line("20200318", "/etc/passwd"),
            line("00000318", "edgar/data/1418333/0000950123-20-002923.txt"),
            format!("{}\n", "x ".repeat(40 << 10)),
        ]
        .concat();
        let (entries, refused) = parse(&text, "form.idx").unwrap();
        assert_eq!(entries.len(), 1);
        let reasons: Vec<(u64, &str)> = refused.iter().map(|r| (r.0, r.2.as_str())).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(
            reasons[0].1.contains("not an EDGAR path")
                && reasons[1].1.contains("not an EDGAR path")
        );
        assert!(
            reasons[2].1.contains("outside the years 1900–2200"),
            "{reasons:?}"
        );
        assert!(
            reasons[3].1.contains("64 KiB") && refused[3].1.len() < 2048,
            "{reasons:?}"
        );
        assert_eq!(reasons[3].0, 6);
    }
}
