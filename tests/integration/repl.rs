//! `whalewatch repl` driven through a real pseudo-terminal, as a person types at it: the line
//! editor, Tab, Ctrl-C and the history file are the real ones. Every wait for output is bounded
//! by rexpect's timeout.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_with_options, Options, PtySession};
use rexpect::ReadUntil;

use crate::support::repo;

const PROMPT: &str = "whalewatch> ";
const CONTINUATION: &str = "...> ";
const TIMEOUT_MS: u64 = 30_000;
/// The terminal width the REPL is told (a pseudo-terminal starts with none).
const COLUMNS: usize = 100;

struct Repl {
    session: PtySession,
    history: PathBuf,
    _home: tempfile::TempDir,
}

/// rexpect reads the terminal byte by byte into chars, so "…" arrives as three Latin-1 chars.
fn as_read(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

impl Repl {
    fn start() -> Repl {
        let home = tempfile::tempdir().expect("tempdir");
        let history = home.path().join("history");
        let mut command = Command::new(env!("CARGO_BIN_EXE_whalewatch"));
        command
            .current_dir(repo())
            .env("HOME", home.path())
            .env("WHALEWATCH_HISTORY", &history)
            .env("WHALEWATCH_THREADS", "2")
            // The line editor falls back to plain reading on a terminal it does not know.
            .env("TERM", "xterm")
            .env("COLUMNS", COLUMNS.to_string())
            .env_remove("WHALEWATCH_CONFIG")
            .env_remove("WHALEWATCH_LAKE")
            .arg("--lake")
            .arg(repo().join("data"))
            .arg("repl");
        let options = Options::new()
            .timeout_ms(Some(TIMEOUT_MS))
            .strip_ansi_escape_codes(true);
        let session = spawn_with_options(command, options).expect("spawn whalewatch repl");
        let mut repl = Repl {
            session,
            history,
            _home: home,
        };
        repl.expect("Tab completes");
        repl.until_prompt();
        repl
    }

    /// What was printed before `text`, waiting for it.
    fn expect(&mut self, text: &str) -> String {
        self.session
            .exp_string(text)
            .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"))
    }

    /// What was printed up to the next prompt for a new statement.
    fn until_prompt(&mut self) -> String {
        self.expect(PROMPT)
    }

    /// Types `line` and returns what it printed, checking that the prompt after it starts a new
    /// statement (a command must not leave a statement open).
    fn enter(&mut self, line: &str) -> String {
        self.session.send_line(line).expect("type a line");
        let output = self.until_prompt();
        assert!(
            !output.contains(CONTINUATION),
            "{line:?} left a statement open: {output:?}"
        );
        output
    }
}

#[test]
fn psql_commands_list_describe_and_return_to_the_prompt() {
    let mut repl = Repl::start();
    let tables = repl.enter("\\dt");
    assert!(tables.contains("short_volume"), "{tables}");
    assert!(tables.contains("partitioned by"), "{tables}");
    assert!(tables.contains("(view)"), "{tables}");
    // \d alone lists the tables too.
    assert!(repl.enter("\\d").contains("short_volume_consolidated"));

    let described = repl.enter("\\d short_volume");
    for column in [
        "symbol",
        "facility",
        "short_exempt_volume",
        "total_volume",
        "nullable",
    ] {
        assert!(described.contains(column), "{column} missing: {described}");
    }
    assert!(described.contains("partitioned by: date"), "{described}");

    let function = repl.enter("\\df dpi");
    assert!(function.contains("dpi("), "{function}");
    assert!(function.contains("Example:"), "{function}");

    let help = repl.enter(".help");
    for command in [
        ".tables",
        ".describe",
        "\\df",
        ".run",
        ".timer",
        ".maxrows",
        "\\q",
    ] {
        assert!(
            help.contains(command),
            "{command} missing from .help: {help}"
        );
    }
    assert!(repl.enter("\\?").contains(".maxrows N"));

    let unknown = repl.enter("\\x");
    assert!(unknown.contains("unknown command"), "{unknown}");
    assert!(unknown.contains(".help"), "{unknown}");

    repl.session.send_line("\\q").expect("type");
    repl.session.exp_eof().expect("\\q ends the session");
}

#[test]
fn the_history_is_written_after_each_statement() {
    let mut repl = Repl::start();
    let output = repl.enter("SELECT 41 + 1 AS answer;");
    assert!(output.contains("| 42     |"), "{output}");
    assert!(output.contains("1 rows in"), "{output}");
    // Read while the session is still open.
    let history = std::fs::read_to_string(&repl.history).expect("history file");
    assert!(history.contains("SELECT 41 + 1 AS answer;"), "{history:?}");

    repl.enter(".timer on");
    let history = std::fs::read_to_string(&repl.history).expect("history file");
    assert!(history.contains(".timer on"), "{history:?}");

    // Ctrl-D at an empty prompt leaves.
    repl.session.send_control('d').expect("Ctrl-D");
    repl.session.exp_eof().expect("Ctrl-D ends the session");
}

#[test]
fn maxrows_timer_and_wide_values() {
    let mut repl = Repl::start();
    assert!(repl.enter(".maxrows 2").contains("maxrows 2"));
    let output = repl.enter("SELECT value * 111 AS v FROM generate_series(1, 5);");
    assert!(output.contains("| 111 |"), "{output}");
    assert!(output.contains("| 222 |"), "{output}");
    assert!(
        !output.contains("| 333 |"),
        "only 2 rows are shown: {output}"
    );
    assert!(
        output.contains("5 rows fetched (first 2 shown; .maxrows to change)"),
        "{output}"
    );
    assert!(output.contains("5 rows in"), "{output}");

    repl.enter(".maxrows 0");
    let all = repl.enter("SELECT value * 111 AS v FROM generate_series(1, 5);");
    assert!(all.contains("| 555 |"), "{all}");
    assert!(!all.contains("fetched"), "{all}");

    assert!(repl.enter(".timer off").contains("timer off"));
    let quiet = repl.enter("SELECT 7 AS seven;");
    assert!(quiet.contains("| 7     |"), "{quiet}");
    assert!(!quiet.contains("rows in"), "{quiet}");

    // A value wider than the terminal is cut with "…" so that the row fits.
    let wide = repl.enter("SELECT 'AAPL' AS symbol, repeat('x', 300) AS note;");
    assert!(wide.contains(&as_read("…")), "{wide}");
    assert!(wide.contains("| AAPL   |"), "{wide}");
    for line in wide
        .lines()
        .filter(|l| l.starts_with('|') || l.starts_with('+'))
    {
        let width = line.replace(&as_read("…"), "…").trim_end().chars().count();
        assert!(width <= COLUMNS, "{width} > {COLUMNS}: {line:?}");
    }
}

#[test]
fn ctrl_c_cancels_the_running_query_and_keeps_the_session() {
    let mut repl = Repl::start();
    // Ctrl-C while a statement is being typed drops it.
    repl.session.send_line("SELECT 1").expect("type");
    repl.expect(CONTINUATION);
    repl.session.send_control('c').expect("Ctrl-C");
    repl.until_prompt();

    // Four billion rows: minutes in a debug build, seconds in a release one.
    repl.session
        .send_line("SELECT sum(value) FROM generate_series(1, 4000000000);")
        .expect("type");
    // Let it get going: a Ctrl-C that came while the line was still being read would only clear it.
    std::thread::sleep(Duration::from_secs(2));
    let interrupted = Instant::now();
    repl.session.send_control('c').expect("Ctrl-C");
    let before = repl.expect("cancelled");
    assert!(!before.contains("error"), "{before}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(15),
        "cancelling took {:?}",
        interrupted.elapsed()
    );
    repl.until_prompt();
    // The same process, with the statement cleared, goes on.
    let output = repl.enter("SELECT 40 + 2 AS answer;");
    assert!(output.contains("| 42     |"), "{output}");
}

#[test]
fn a_query_that_does_not_pause_is_left_with_a_second_ctrl_c() {
    let mut repl = Repl::start();
    // A cross join emits a million batches from each batch it reads, without a pause at which
    // its task could be stopped.
    let statement = "SELECT sum(a.value + b.value) FROM generate_series(1, 1000000) a \
                     CROSS JOIN generate_series(1, 1000000) b;";
    repl.session.send_line(statement).expect("type");
    std::thread::sleep(Duration::from_secs(2));
    repl.session.send_control('c').expect("Ctrl-C");
    let (_, said) = repl
        .session
        .exp_any(vec![
            ReadUntil::String("not stopped yet".into()),
            ReadUntil::String("cancelled".into()),
        ])
        .expect("Ctrl-C is answered");
    if said == "cancelled" {
        // A DataFusion whose cross join pauses: the plain cancel did it.
        repl.until_prompt();
        return;
    }
    repl.session.send_control('c').expect("Ctrl-C");
    repl.expect("leaving");
    repl.session
        .exp_eof()
        .expect("a second Ctrl-C ends the process");
    assert!(matches!(
        repl.session.process().wait(),
        Ok(WaitStatus::Exited(_, 130))
    ));
    let history = std::fs::read_to_string(&repl.history).expect("history file");
    assert!(history.contains("CROSS JOIN"), "{history:?}");
}

#[test]
fn tab_completes_table_names_and_run_runs_query_files() {
    let mut repl = Repl::start();
    repl.session
        .send("SELECT count(*) AS n FROM short_vol")
        .expect("type");
    repl.session.send("\t").expect("Tab");
    repl.session.flush().expect("flush");
    // short_volume and short_volume_consolidated: the common part is filled in.
    repl.expect("short_volume");
    let output = repl.enter(";");
    assert!(!output.contains("error"), "{output}");
    // short_volume's rows in the sample lake (short_volume_consolidated has 67).
    assert!(output.contains("| 177 |"), "{output}");
    assert!(output.contains("1 rows in"), "{output}");

    // Tab completes the query file's path, and a space after it.
    repl.session.send(".run queries/dpi_l").expect("type");
    repl.session.send("\t").expect("Tab");
    repl.session.flush().expect("flush");
    repl.expect("dpi_leaders.sql");
    let leaders = repl.enter("top=3");
    assert!(leaders.contains("| symbol"), "{leaders}");
    assert!(leaders.contains("3 rows in"), "{leaders}");
    let error = repl.enter(".run queries/dpi_leaders.sql nope=3");
    assert!(error.contains("no parameter \"nope\""), "{error}");
}
