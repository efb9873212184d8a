//! Fault injection for the commit tests: the lake's write steps call [`step`], which can kill
//! the process or fail the step at the Nth call, as SQLite's and DuckDB's crash tests do.
//!
//! Set by environment variables, read once, and inert without them:
//! - `WHALEWATCH_FAULT_AT=N`: the Nth step (1-based, counted over the whole process) faults;
//! - `WHALEWATCH_FAULT=kill` (the default: SIGKILL, as `kill -9`) or `error` (the step fails
//!   with an I/O error, as a full disk would);
//! - `WHALEWATCH_FAULT_TRACE=FILE`: every step's number and label are appended to FILE, so a
//!   test learns how many steps a commit has.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

struct Plan {
    at: Option<u64>,
    kill: bool,
    trace: Option<std::path::PathBuf>,
}

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| Plan {
        at: std::env::var("WHALEWATCH_FAULT_AT")
            .ok()
            .and_then(|n| n.parse().ok()),
        kill: std::env::var("WHALEWATCH_FAULT").map_or(true, |action| action != "error"),
        trace: std::env::var_os("WHALEWATCH_FAULT_TRACE").map(Into::into),
    })
}

static STEPS: AtomicU64 = AtomicU64::new(0);

/// One write step of a commit, about to happen.
pub fn step(label: &str) -> std::io::Result<()> {
    let plan = plan();
    if plan.at.is_none() && plan.trace.is_none() {
        return Ok(());
    }
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(trace) = &plan.trace {
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(trace)
        {
            let _ = writeln!(file, "{n}\t{label}");
        }
    }
    if plan.at == Some(n) {
        if plan.kill {
            // SAFETY: kill(2) on our own process id; it does not return.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
        return Err(std::io::Error::other(format!(
            "fault injected at step {n} ({label})"
        )));
    }
    Ok(())
}
