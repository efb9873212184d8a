//! The text of `whalewatch tables`, `describe` and `functions`.

use std::fmt::Write;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::SessionContext;

use crate::catalog::VIEWS;
use crate::error::{Error, Result};
use crate::lake::datasets;
use crate::sql::output;

async fn row_count(ctx: &SessionContext, table: &str) -> Result<i64> {
    let batches: Vec<RecordBatch> = ctx
        .sql(&format!("SELECT count(*) FROM {table}"))
        .await?
        .collect()
        .await?;
    Ok(batches
        .first()
        .map_or(0, |b| b.column(0).as_primitive::<Int64Type>().value(0)))
}

/// One line per dataset and view: name, rows, partitioning, and what it holds, the description
/// cut to the terminal's width ([`output::terminal_width`]; whole when there is none).
pub async fn tables(ctx: &SessionContext) -> Result<String> {
    tables_fitted(ctx, output::terminal_width()).await
}

/// [`tables`] with lines cut to `width` characters (None: not cut).
pub async fn tables_fitted(ctx: &SessionContext, width: Option<usize>) -> Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>12}  {:<14} description",
        "table", "rows", "partitioned by"
    );
    for spec in datasets::ALL {
        let partition = spec.partition.as_ref().map_or("-", |(c, _)| c);
        let rows = row_count(ctx, spec.name).await?;
        let prefix = format!("{:<28} {:>12}  {:<14} ", spec.name, rows, partition);
        let _ = writeln!(
            out,
            "{}",
            fit_line(&prefix, first_sentence(spec.description), width)
        );
    }
    for view in VIEWS {
        let rows = row_count(ctx, view.name).await?;
        let prefix = format!("{:<28} {:>12}  {:<14} ", view.name, rows, "-");
        let description = format!("(view) {}", first_sentence(view.description));
        let _ = writeln!(out, "{}", fit_line(&prefix, &description, width));
    }
    Ok(out)
}

/// `prefix` then `text`, `text` cut with "…" so that the line fits in `width` characters.
fn fit_line(prefix: &str, text: &str, width: Option<usize>) -> String {
    match width {
        Some(width) => {
            let room = width.saturating_sub(prefix.chars().count());
            format!("{prefix}{}", output::elide(text, room))
        }
        None => format!("{prefix}{text}"),
    }
}

fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(first, _)| first)
}

/// A table's columns and, for a dataset, its layout.
pub async fn describe(ctx: &SessionContext, table: &str) -> Result<String> {
    let provider = ctx.table_provider(table).await.map_err(|_| {
        Error::Usage(format!(
            "no table {table:?}; `whalewatch tables` lists them"
        ))
    })?;
    let mut out = String::new();
    let spec = datasets::find(table);
    let view = VIEWS.iter().find(|v| v.name == table);
    if let Some(description) = spec.map(|s| s.description).or(view.map(|v| v.description)) {
        let _ = writeln!(out, "{table}: {description}\n");
    }
    let _ = writeln!(out, "{:<24} {:<32} nullable", "column", "type");
    for field in provider.schema().fields() {
        let _ = writeln!(
            out,
            "{:<24} {:<32} {}",
            field.name(),
            field.data_type().to_string(),
            field.is_nullable()
        );
    }
    if let Some(spec) = spec {
        let _ = writeln!(out);
        if let Some((column, data_type)) = &spec.partition {
            let _ = writeln!(
                out,
                "partitioned by: {column} ({data_type}): {table}/{column}=VALUE/*.parquet"
            );
        }
        if !spec.sort_order.is_empty() {
            let declared = crate::catalog::declared_order(spec).join(", ");
            let _ = writeln!(
                out,
                "sorted by:      {} within each file (declared to the planner as {declared})",
                spec.sort_order.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "natural key:    {} (re-ingesting a key replaces its row)",
            spec.natural_key.join(", ")
        );
    }
    Ok(out)
}

/// All functions in brief, or one in full: whalewatch's SQL functions and the catalog's table
/// functions.
pub fn functions(name: Option<&str>) -> Result<String> {
    let mut docs = whalewatch_udfs::function_docs();
    docs.extend(crate::catalog::table_function_docs());
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    match name {
        None => {
            for doc in &docs {
                let _ = writeln!(
                    out,
                    "{:<40} {:<10} {}",
                    doc.documentation.syntax_example,
                    doc.kind,
                    first_sentence(&doc.documentation.description)
                );
            }
            let _ = writeln!(out, "\n`whalewatch functions NAME` shows one in full. DataFusion's own functions are there too: SHOW FUNCTIONS.");
        }
        Some(name) => {
            let doc = docs
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "no whalewatch function {name:?}; `whalewatch functions` lists them"
                    ))
                })?;
            let d = &doc.documentation;
            let _ = writeln!(
                out,
                "{} ({} function, {})\n\n{}\n",
                d.syntax_example, doc.kind, d.doc_section.label, d.description
            );
            for (argument, description) in d.arguments.iter().flatten() {
                let _ = writeln!(out, "  {argument:<16} {description}");
            }
            if let Some(example) = &d.sql_example {
                let _ = writeln!(
                    out,
                    "\nExample:\n{}",
                    example
                        .trim_start_matches("```sql")
                        .trim_end_matches("```")
                        .trim_matches('\n')
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_cut_to_the_width() {
        let prefix = "short_volume     12 ";
        let line = fit_line(prefix, "Daily short-sale volume by symbol", Some(30));
        assert_eq!(line, "short_volume     12 Daily sho…");
        assert_eq!(line.chars().count(), 30);
        assert_eq!(
            fit_line(prefix, "Daily", Some(30)),
            "short_volume     12 Daily"
        );
        assert_eq!(
            fit_line(prefix, "Daily short-sale volume by symbol", None),
            "short_volume     12 Daily short-sale volume by symbol"
        );
    }
}
