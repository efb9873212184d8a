//! The classification of 13F managers, kept by the user: a CSV of `cik,type[,name]` (types such
//! as hedge_fund, pension, bank, insurance, family_office, asset_manager). `whale_wallets` reads
//! it; a manager it does not list is unclassified. Loading a file replaces what it loaded before.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::Utc;
use datafusion::arrow::array::StringArray;

use crate::collect::fields::file_stem;
use crate::collect::tabular;
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::Result;
use crate::lake::datasets::MANAGER_TYPES;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

const COLUMNS: [(&str, &[&str]); 3] = [
    ("cik", &["cik"]),
    ("type", &["type", "manager_type", "wallet_type", "category"]),
    ("name", &["name", "manager", "filer_name"]),
];

pub fn ingest_files(lake: &Lake, paths: &[PathBuf]) -> Result<IngestReport> {
    ingest_local_files(
        lake,
        &MANAGER_TYPES,
        paths,
        |path, source, bytes, refused| {
            let table = tabular::parse(path, bytes)?;
            let at = table.resolve(&COLUMNS, &[]);
            for target in ["cik", "type"] {
                if at[target].is_none() {
                    return Err(table.missing(source, target));
                }
            }
            // (cik as EDGAR writes it, ten digits; type; name; line)
            let mut rows: Vec<(String, String, Option<String>, u64)> = Vec::new();
            let mut first_line_of: HashMap<String, u64> = HashMap::new();
            for fields in table.fields(&at, source, refused) {
                let row = (|| -> std::result::Result<_, Rejected> {
                    let cik = fields.required("cik")?;
                    if cik.is_empty() || cik.len() > 10 || !cik.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(
                            fields.reject("cik", format!("{cik:?} is not a CIK (up to 10 digits)"))
                        );
                    }
                    let kind = fields
                        .required("type")?
                        .trim()
                        .to_ascii_lowercase()
                        .replace([' ', '-'], "_");
                    Ok((
                        format!("{cik:0>10}"),
                        kind,
                        fields.text("name").map(str::to_string),
                        fields.record.line,
                    ))
                })();
                match row {
                    Ok(row) => match first_line_of.get(&row.0) {
                        Some(first) => refused.push(fields.reject(
                            "cik",
                            format!("second row for CIK {} (the first is line {first})", row.0),
                        )),
                        None => {
                            first_line_of.insert(row.0.clone(), row.3);
                            rows.push(row);
                        }
                    },
                    Err(rejected) => refused.push(rejected),
                }
            }
            let batch = BatchBuilder::new(&MANAGER_TYPES, rows.len())
                .column(
                    "cik",
                    StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str())),
                )?
                .column(
                    "manager_type",
                    StringArray::from_iter_values(rows.iter().map(|r| r.1.as_str())),
                )?
                .column(
                    "name",
                    StringArray::from_iter(rows.iter().map(|r| r.2.as_deref())),
                )?
                .provenance(source, rows.iter().map(|r| r.3), Utc::now())?
                .finish()?;
            let mut transaction = Transaction::new(lake);
            transaction.replace(&MANAGER_TYPES, None, &file_stem(path), batch)?;
            transaction.commit()?;
            Ok(rows.len() as u64)
        },
    )
}
