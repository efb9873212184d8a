//! Shared test helpers: a real HTTP server on 127.0.0.1, lake snapshots, fixture paths.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// The checkout under test, from the environment cargo gives a running test (a binary reused
/// from a build of another checkout must still read this one's files).
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// One canned response.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// How long the server waits before it answers (to make a client time out).
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
            delay: Default::default(),
        }
    }
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            body: format!("status {status}").into_bytes(),
            headers: Vec::new(),
            delay: Default::default(),
        }
    }
}

/// What the server keeps of every request, in order.
type Log<T> = Arc<Mutex<Vec<T>>>;
type Routes = Arc<Mutex<HashMap<String, VecDeque<Reply>>>>;

/// A minimal HTTP/1.1 server on an ephemeral loopback port. Each path answers with its queue
/// of replies in order (the last one repeats); unknown paths answer 404. It counts requests.
pub struct TestServer {
    pub base_url: String,
    routes: Routes,
    /// (path, User-Agent) of every request.
    pub requests: Log<(String, Option<String>)>,
    /// (path, body) of every request.
    pub bodies: Log<(String, String)>,
    /// (path, Authorization header) of every request.
    pub authorizations: Log<(String, Option<String>)>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let routes: Routes = Arc::default();
        let requests: Log<(String, Option<String>)> = Arc::default();
        let bodies: Log<(String, String)> = Arc::default();
        let authorizations: Log<(String, Option<String>)> = Arc::default();
        let (r, q, b, a) = (
            Arc::clone(&routes),
            Arc::clone(&requests),
            Arc::clone(&bodies),
            Arc::clone(&authorizations),
        );
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, q, b, a) = (
                    Arc::clone(&r),
                    Arc::clone(&q),
                    Arc::clone(&b),
                    Arc::clone(&a),
                );
                thread::spawn(move || serve(stream, &r, &q, &b, &a));
            }
        });
        TestServer {
            base_url,
            routes,
            requests,
            bodies,
            authorizations,
        }
    }

    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), replies.into());
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .count()
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, VecDeque<Reply>>>,
    requests: &Mutex<Vec<(String, Option<String>)>>,
    bodies: &Mutex<Vec<(String, String)>>,
    authorizations: &Mutex<Vec<(String, Option<String>)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut user_agent = None;
    let mut authorization = None;
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("user-agent") {
                user_agent = Some(value.trim().to_string());
            }
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            }
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    // A POST's body is read whole (and kept), so that closing the socket does not reset it.
    let mut body = vec![0; content_length];
    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
        return;
    }
    bodies
        .lock()
        .unwrap()
        .push((path.clone(), String::from_utf8_lossy(&body).into_owned()));
    requests.lock().unwrap().push((path.clone(), user_agent));
    authorizations
        .lock()
        .unwrap()
        .push((path.clone(), authorization));
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front().expect("reply"),
            Some(queue) => queue.front().cloned().unwrap_or(Reply::status(404)),
            None => Reply::status(404),
        }
    };
    thread::sleep(reply.delay);
    let mut stream = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
}

/// The one Parquet file in a partition directory (whatever version the last commit named it).
pub fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("partition directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().expect("one file")
}

/// Every file under `dir` with its bytes, the lake's own state left out: two equal snapshots
/// mean no reader can see a change.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // The lake's own state (snapshots, retired files, the writer lock) is not content.
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(".whalewatch")
            {
                continue;
            }
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    walk(dir, &mut files);
    files
}

/// Copies a directory tree (the sample lake into a scratch lake).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs one SQL query on `lake` and renders every row as `a|b|c`.
pub async fn query_rows(lake: &Path, sql: &str) -> Vec<String> {
    let ctx = whalewatch::sql::open_session(
        &whalewatch::lake::Lake::new(lake),
        &whalewatch::sql::SessionSettings {
            threads: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("session");
    let result = whalewatch::sql::run_script(&ctx, sql, None)
        .await
        .expect("query");
    crate::slt::render_rows(&result.batches)
        .into_iter()
        .map(|row| row.join("|"))
        .collect()
}

/// Runs a query file of `queries/` with parameters on `lake` through the library (as every front
/// end does) and returns its CSV lines, as `whalewatch run FILE --format csv` prints them.
pub fn run_query_file(lake: &std::path::Path, file: &str, params: &[&str]) -> Vec<String> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|p| whalewatch::sql::query_file::parse_param_assignment(p).expect("NAME=VALUE"))
        .collect();
    let (lake, file) = (lake.to_path_buf(), file.to_string());
    // Its own runtime on its own thread: the callers are async tests.
    std::thread::spawn(move || run_query_file_on(&lake, &file, &params))
        .join()
        .expect("the query file's thread")
}

fn run_query_file_on(lake: &Path, file: &str, params: &[(String, String)]) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("runtime");
    let out = tempfile::tempdir().expect("tempdir");
    let csv = out.path().join("result.csv");
    runtime.block_on(async {
        let ctx = whalewatch::sql::open_session(
            &whalewatch::lake::Lake::new(lake),
            &whalewatch::sql::SessionSettings::default(),
        )
        .await
        .expect("session");
        let result = whalewatch::sql::run_query_file(&ctx, &repo().join(file), params)
            .await
            .unwrap_or_else(|e| panic!("{file}: {}", e.chain_line()));
        whalewatch::sql::output::write(
            &result.schema,
            &result.batches,
            whalewatch::sql::output::Format::Csv,
            Some(&csv),
        )
        .expect("csv");
    });
    std::fs::read_to_string(&csv)
        .expect("csv")
        .lines()
        .map(str::to_string)
        .collect()
}
