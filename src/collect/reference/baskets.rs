//! Baskets: named lists of symbols, from CSV (`basket,symbol[,weight]`, or `symbol[,weight]`
//! with `--name`). Loading a basket replaces all its members.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use datafusion::arrow::array::{Float64Array, StringArray};

use crate::collect::tabular;
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::BASKETS;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

struct Member {
    symbol: String,
    weight: Option<f64>,
    line: u64,
}

fn valid_basket_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// Reads one baskets file and stages it: every basket it names is replaced whole.
fn land(
    lake: &Lake,
    path: &Path,
    source: &str,
    bytes: Vec<u8>,
    name: Option<&str>,
    rejected: &mut Vec<Rejected>,
) -> Result<u64> {
    let table = tabular::parse(path, bytes)?;
    let symbol_at = table
        .column(&["symbol", "ticker"])
        .ok_or_else(|| Error::format(source, Some(1), None, "no symbol column"))?;
    let basket_at = table.column(&["basket", "name"]);
    let weight_at = table.column(&["weight"]);
    if basket_at.is_none() && name.is_none() {
        return Err(Error::format(
            source,
            Some(1),
            None,
            "no basket column: pass --name NAME",
        ));
    }
    let mut baskets: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    for record in &table.rows {
        let text = |i: usize| record.fields.get(i).and_then(|f| f.as_deref());
        if let Some(refused) = table.misfit(record, source) {
            rejected.push(refused);
            continue;
        }
        let mut refuse = |field: &str, reason: String| {
            rejected.push(Rejected {
                source: source.to_string(),
                line: Some(record.line),
                field: Some(field.to_string()),
                raw: Some(record.raw.clone()),
                reason,
            })
        };
        let basket = match (basket_at, name) {
            (Some(i), _) => text(i).unwrap_or_default().to_string(),
            (None, Some(name)) => name.to_string(),
            (None, None) => unreachable!("checked above"),
        };
        if !valid_basket_name(&basket) {
            refuse(
                "basket",
                format!("{basket:?} is not a basket name (letters, digits, _ and -)"),
            );
            continue;
        }
        let Some(symbol) = text(symbol_at) else {
            refuse("symbol", "empty symbol".to_string());
            continue;
        };
        let weight = match weight_at.and_then(text) {
            None => None,
            Some(w) => match w.parse::<f64>() {
                Ok(w) if w.is_finite() => Some(w),
                _ => {
                    refuse("weight", format!("{w:?} is not a number"));
                    continue;
                }
            },
        };
        let symbol = symbol.to_ascii_uppercase();
        let members = baskets.entry(basket).or_default();
        if let Some(first) = members.iter().find(|m| m.symbol == symbol) {
            let reason = format!("{symbol} is already a member (line {})", first.line);
            refuse("symbol", reason);
            continue;
        }
        members.push(Member {
            symbol,
            weight,
            line: record.line,
        });
    }
    let now = Utc::now();
    let mut transaction = Transaction::new(lake);
    let mut rows = 0;
    for (basket, members) in baskets {
        let n = members.len();
        let batch = BatchBuilder::new(&BASKETS, n)
            .column("basket", StringArray::from(vec![basket.as_str(); n]))?
            .column(
                "symbol",
                StringArray::from_iter_values(members.iter().map(|m| m.symbol.as_str())),
            )?
            .column(
                "weight",
                Float64Array::from_iter(members.iter().map(|m| m.weight)),
            )?
            .provenance(source, members.iter().map(|m| m.line), now)?
            .finish()?;
        // A basket file is the basket: its members replace the old ones whole.
        transaction.replace(&BASKETS, None, &basket, batch)?;
        rows += n as u64;
    }
    transaction.commit()?;
    Ok(rows)
}

pub fn ingest_files(lake: &Lake, paths: &[PathBuf], name: Option<&str>) -> Result<IngestReport> {
    if let Some(name) = name.filter(|n| !valid_basket_name(n)) {
        return Err(Error::Usage(format!(
            "{name:?} is not a basket name: use letters, digits, _ and -"
        )));
    }
    ingest_local_files(lake, &BASKETS, paths, |path, source, bytes, rejected| {
        land(lake, path, source, bytes, name, rejected)
    })
}
