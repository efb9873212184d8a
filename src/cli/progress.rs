//! The CLI's face of an ingest: a progress bar on a terminal, notices on stderr, and the summary
//! of what landed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use whalewatch::collect::Progress;
use whalewatch::ingest::IngestSummary;

/// A progress bar on stderr (drawn only on a terminal; indicatif hides it otherwise), with the
/// collectors' notices printed above it.
pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta} left)") {
            bar.set_style(style);
        }
        TerminalProgress { bar }
    }
}

impl Progress for TerminalProgress {
    fn add_work(&self, more: u64) {
        self.bar.inc_length(more);
    }
    fn working_on(&self, what: &str) {
        self.bar.set_message(what.to_string());
    }
    fn done_one(&self) {
        self.bar.inc(1);
    }
    fn notice(&self, message: &str) {
        self.bar.suspend(|| eprintln!("{message}"));
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Prints what every run of the job did: its failures, its counts and where its refused records
/// are, then the job's notes and time.
pub fn print_summary(summary: &IngestSummary) {
    for report in &summary.reports {
        for (source, message) in &report.failures {
            // Parse errors already name the source (with line and field); others need it.
            if message.starts_with(source.as_str()) {
                eprintln!("failed: {message}");
            } else {
                eprintln!("failed: {source}: {message}");
            }
        }
        let mut extra = String::new();
        for (count, what) in [
            (report.not_published, "not published"),
            (report.missing, "missing on trading days"),
            (report.duplicates, "already landed under another name"),
        ] {
            if count > 0 {
                extra.push_str(&format!(", {count} {what}"));
            }
        }
        eprintln!(
            "ingest {}: {} of {} sources landed{extra}, {} rows written, {} rows rejected",
            report.ingest_id,
            report.landed,
            report.sources,
            report.rows_written,
            report.rows_rejected
        );
        if report.rows_rejected > 0 {
            eprintln!(
                "the rejected records are in: SELECT * FROM rejected_records WHERE ingest_id = '{}'",
                report.ingest_id
            );
        }
    }
    for note in &summary.notes {
        eprintln!("{note}");
    }
    eprintln!("done in {:.1} s", summary.elapsed.as_secs_f64());
}
