//! What a query may use: memory (a pool with spilling, a share of RAM by default), the depth of
//! its expressions, and the stack its planning needs.

use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{Expr, Visit, Visitor};
use datafusion::sql::sqlparser::parser::ParserError;

use crate::error::{Error, Result};

/// The share of memory a session's pool gets when nothing else is configured.
pub const DEFAULT_MEMORY_SHARE: f64 = 0.5;

/// The pool when the machine's memory cannot be read (not Linux, no /proc).
pub const FALLBACK_MEMORY_BYTES: u64 = 4 << 30;

/// How deep the SQL parser may recurse: nested parentheses, subqueries, function calls, CASE
/// (DataFusion's `datafusion.sql_parser.recursion_limit`, at its default).
pub const PARSER_RECURSION_LIMIT: usize = 50;

/// How deep a statement's expressions may nest. The parser builds a chain such as
/// `1+1+…+1` or `a = 1 OR a = 2 OR …` without recursion, one level per operator, but planning,
/// optimising and running it recurse once per level (DuckDB's `max_expression_depth` is 1000).
pub const MAX_EXPRESSION_DEPTH: usize = 1000;

/// The stack every thread that plans or runs queries needs for [`MAX_EXPRESSION_DEPTH`] (the
/// binary gives it to the thread that drives the runtime and to the runtime's workers). Only the
/// pages a query touches are used.
pub const QUERY_STACK_BYTES: usize = 64 << 20;

/// How much memory a session's queries may hold at once (sorts, joins, aggregates, which
/// spill to disk before they fail).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryLimit {
    /// A share of the machine's memory (or of the control group's limit, when lower).
    ShareOfRam(f64),
    Bytes(u64),
    /// No pool: a query may take all memory (and the process may be killed).
    Unlimited,
}

impl Default for MemoryLimit {
    fn default() -> Self {
        MemoryLimit::ShareOfRam(DEFAULT_MEMORY_SHARE)
    }
}

impl FromStr for MemoryLimit {
    type Err = String;

    /// `4GiB`, `500MB`, `1.5G`, `2000000` (bytes), `25%` (of RAM) or `none`. KiB, MiB, GiB, TiB
    /// and K, M, G, T count in 1024s; KB, MB, GB, TB in 1000s.
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        let wrong = || {
            format!(
                "memory limit {text:?}: write a size such as 4GiB, 500MB or 2G, a share of RAM \
                 such as 50%, or none"
            )
        };
        if text.eq_ignore_ascii_case("none") || text.eq_ignore_ascii_case("unlimited") {
            return Ok(MemoryLimit::Unlimited);
        }
        if let Some(percent) = text.strip_suffix('%') {
            let share: f64 = percent.trim().parse().map_err(|_| wrong())?;
            if !(share > 0.0 && share <= 100.0) {
                return Err(format!(
                    "memory limit {text:?}: a share of RAM is above 0 % and at most 100 %"
                ));
            }
            return Ok(MemoryLimit::ShareOfRam(share / 100.0));
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| wrong())?;
        let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "k" | "kib" => 1024.0,
            "m" | "mib" => 1024.0 * 1024.0,
            "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
            "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "tb" => 1e12,
            _ => return Err(wrong()),
        };
        let bytes = number * multiplier;
        if !(1.0..1e18).contains(&bytes) {
            return Err(format!(
                "memory limit {text:?}: give at least one byte (or none for no limit)"
            ));
        }
        Ok(MemoryLimit::Bytes(bytes as u64))
    }
}

/// A limit made concrete for this machine: the pool's size and how it was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedMemoryLimit {
    /// None: no pool.
    pub bytes: Option<u64>,
    /// `4.0 GiB (50 % of 8.0 GiB of memory)`, `500.0 MiB`, `none`.
    pub description: String,
}

impl MemoryLimit {
    pub fn resolve(&self) -> ResolvedMemoryLimit {
        match *self {
            MemoryLimit::Bytes(bytes) => ResolvedMemoryLimit {
                bytes: Some(bytes),
                description: human_bytes(bytes),
            },
            MemoryLimit::Unlimited => ResolvedMemoryLimit {
                bytes: None,
                description: "none".to_string(),
            },
            MemoryLimit::ShareOfRam(share) => {
                let percent = share * 100.0;
                match machine_memory() {
                    Some(total) => {
                        let bytes = ((total as f64) * share) as u64;
                        ResolvedMemoryLimit {
                            bytes: Some(bytes.max(1)),
                            description: format!(
                                "{} ({percent:.0} % of this machine's {})",
                                human_bytes(bytes),
                                human_bytes(total)
                            ),
                        }
                    }
                    None => ResolvedMemoryLimit {
                        bytes: Some(FALLBACK_MEMORY_BYTES),
                        description: format!(
                            "{} (the machine's memory could not be read)",
                            human_bytes(FALLBACK_MEMORY_BYTES)
                        ),
                    },
                }
            }
        }
    }
}

/// `1.5 GiB`, `512.0 MiB`, `100 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

/// The memory this process may use: the machine's (`MemTotal` in /proc/meminfo), or its
/// control group's limit when that is lower (a container).
pub fn machine_memory() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| parse_meminfo_total(&text));
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|path| std::fs::read_to_string(path).ok())
    .find_map(|text| text.trim().parse::<u64>().ok());
    match (total, cgroup) {
        (Some(total), Some(cgroup)) => Some(total.min(cgroup)),
        (total, None) => total,
        (None, cgroup) => cgroup,
    }
}

fn parse_meminfo_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// The runtime a session's queries run in: a memory pool of `limit` (fair to every operator
/// that can spill; the five largest consumers named when it is exhausted), spill files in
/// `spill_directory` (the system's temporary directory by default), and no cache of file
/// listings (the lake's files change between statements: each one lists them afresh).
pub fn runtime_env(
    limit: &ResolvedMemoryLimit,
    spill_directory: Option<&PathBuf>,
) -> Result<Arc<RuntimeEnv>> {
    let caches = CacheManagerConfig::default()
        .with_list_files_cache(None)
        .with_list_files_cache_limit(0);
    let mut builder = RuntimeEnvBuilder::new().with_cache_manager(caches);
    if let Some(bytes) = limit.bytes {
        let size = usize::try_from(bytes).unwrap_or(usize::MAX);
        builder = builder.with_memory_pool(Arc::new(TrackConsumersPool::new(
            FairSpillPool::new(size),
            NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN),
        )));
    }
    if let Some(dir) = spill_directory {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        builder = builder.with_temp_file_path(dir.clone());
    }
    Ok(builder.build_arc()?)
}

/// Whether an error (however wrapped) is DataFusion's memory pool refusing an allocation.
pub fn is_memory_exhausted(error: &DataFusionError) -> bool {
    matches!(error.find_root(), DataFusionError::ResourcesExhausted(_))
}

/// Whether a parse failed on the parser's recursion limit.
pub fn is_parser_recursion(error: &DataFusionError) -> bool {
    matches!(
        error.find_root(),
        DataFusionError::SQL(e, _) if matches!(**e, ParserError::RecursionLimitExceeded)
    )
}

/// How deep a statement's expressions nest, counting until `limit + 1` (the walk stops there,
/// so it never recurses deeper than the limit however deep the statement is).
pub fn expression_depth(statement: &Statement, limit: usize) -> usize {
    struct Depth {
        current: usize,
        deepest: usize,
        limit: usize,
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.current += 1;
            self.deepest = self.deepest.max(self.current);
            if self.current > self.limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.current -= 1;
            ControlFlow::Continue(())
        }
    }
    let mut depth = Depth {
        current: 0,
        deepest: 0,
        limit,
    };
    fn visit(statement: &Statement, depth: &mut Depth) {
        match statement {
            Statement::Statement(statement) => {
                let _ = statement.visit(depth);
            }
            Statement::CopyTo(copy) => {
                if let CopyToSource::Query(query) = &copy.source {
                    let _ = query.visit(depth);
                }
            }
            Statement::Explain(explain) => visit(&explain.statement, depth),
            Statement::CreateExternalTable(_) | Statement::Reset(_) => {}
        }
    }
    visit(statement, &mut depth);
    depth.deepest
}

/// Refuses a statement whose expressions nest deeper than [`MAX_EXPRESSION_DEPTH`]. A refused
/// statement is dropped on a thread of its own with a large stack: dropping a tree recurses once
/// per level too, and the statement may be far deeper than the limit.
pub fn check_expression_depth(statement: Statement) -> Result<Statement> {
    let depth = expression_depth(&statement, MAX_EXPRESSION_DEPTH);
    if depth <= MAX_EXPRESSION_DEPTH {
        return Ok(statement);
    }
    let dropped = std::thread::Builder::new()
        .name("whalewatch-drop".into())
        .stack_size(1 << 30)
        .spawn(move || drop(statement));
    if let Ok(handle) = dropped {
        let _ = handle.join();
    }
    Err(Error::QueryLimit(format!(
        "the statement's expressions nest more than {MAX_EXPRESSION_DEPTH} levels deep, \
         whalewatch's limit (a chain such as 1+1+…+1 or a = 1 OR a = 2 OR … adds a level per \
         operator): shorten it, e.g. with IN (…) for a chain of ORs, or sum rows instead of terms"
    )))
}

/// The parser's recursion limit, said in terms of the SQL that reached it.
pub fn parser_recursion_error(cause: DataFusionError) -> Error {
    Error::QueryLimitCause {
        message: format!(
            "the statement nests more than {PARSER_RECURSION_LIMIT} levels of parentheses, \
             subqueries, function calls or CASE expressions, the SQL parser's limit: flatten it \
             (a WITH clause names a subquery once)"
        ),
        source: cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn sizes_shares_and_none() {
        assert_eq!("4GiB".parse(), Ok(MemoryLimit::Bytes(4 << 30)));
        assert_eq!("4 GiB".parse(), Ok(MemoryLimit::Bytes(4 << 30)));
        assert_eq!("2g".parse(), Ok(MemoryLimit::Bytes(2 << 30)));
        assert_eq!("500MB".parse(), Ok(MemoryLimit::Bytes(500_000_000)));
        assert_eq!("1.5M".parse(), Ok(MemoryLimit::Bytes(1_572_864)));
        assert_eq!("123".parse(), Ok(MemoryLimit::Bytes(123)));
        assert_eq!("25%".parse(), Ok(MemoryLimit::ShareOfRam(0.25)));
        assert_eq!("none".parse(), Ok(MemoryLimit::Unlimited));
        for wrong in ["", "lots", "4 parsecs", "0", "0%", "150%", "-1G", "1e30"] {
            assert!(
                wrong.parse::<MemoryLimit>().is_err(),
                "{wrong:?} should be refused"
            );
        }
    }

    #[test]
    fn resolved_limits_say_how_they_were_decided() {
        let resolved = MemoryLimit::Bytes(512 << 20).resolve();
        assert_eq!(resolved.bytes, Some(512 << 20));
        assert_eq!(resolved.description, "512.0 MiB");
        let share = MemoryLimit::default().resolve();
        assert!(share.bytes.is_some_and(|b| b > 0));
        assert!(
            share.description.contains("50 %") || share.description.contains("could not"),
            "{}",
            share.description
        );
        assert_eq!(MemoryLimit::Unlimited.resolve().bytes, None);
        assert_eq!(
            parse_meminfo_total("MemTotal:       16314420 kB\nMemFree: 1 kB\n"),
            Some(16314420 * 1024)
        );
    }

    #[test]
    fn depth_counts_nesting_not_width() {
        let parse = |sql: &str| DFParser::parse_sql(sql).unwrap().pop_front().unwrap();
        let chain = |n: usize| format!("SELECT {}", vec!["1"; n].join("+"));
        assert_eq!(expression_depth(&parse(&chain(300)), 1000), 300);
        // The walk stops one past the limit.
        assert_eq!(expression_depth(&parse(&chain(1200)), 1000), 1001);
        let wide = format!("SELECT {}", vec!["a+b"; 2000].join(", "));
        assert_eq!(expression_depth(&parse(&wide), 1000), 2);
        let copy = parse(&format!("COPY ({}) TO 'x.csv'", chain(20)));
        assert_eq!(expression_depth(&copy, 1000), 20);
        let explain = parse(&format!("EXPLAIN {}", chain(7)));
        assert_eq!(expression_depth(&explain, 1000), 7);
        assert!(check_expression_depth(parse(&chain(1000))).is_ok());
        let refused = check_expression_depth(parse(&chain(1001))).unwrap_err();
        assert!(
            refused.to_string().contains("more than 1000 levels"),
            "{refused}"
        );
        // Far deeper than a test thread's stack could drop: dropped on the check's own thread.
        assert!(check_expression_depth(parse(&chain(50_000))).is_err());
    }
}
