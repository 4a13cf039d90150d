//! The pages built into `lhttpd` (server/build.rs): a copy of the binary started in a
//! directory outside the repository serves the chat demo at `/` and the browser SDK with its
//! wasm at `/js-sdk/` from memory, when the build had the wasm (scripts/build-wasm.sh);
//! without it, the built-in page and a start-up line saying why. `--static` and `--mount`
//! still win.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository's files, for comparing what is served with them.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Whether this build embedded the demo: exactly when the wasm was built before it
/// (cargo rebuilds lhttpd when the wasm appears or changes).
fn built_with_wasm() -> bool {
    repo("js-sdk/wasm/lhttp_wasm_bg.wasm").is_file()
}

/// A fresh directory under the system's temporary directory, outside the repository.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lhttpd-embedded-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(!dir.starts_with(repo("")), "{} is inside the repository", dir.display());
    dir
}

/// lhttpd copied into `dir` and started there (cwd `dir`) with `args`: the process, its
/// address and its start-up log line.
struct Lhttpd {
    child: Child,
    addr: String,
    started: String,
}

impl Lhttpd {
    fn start(dir: &Path, args: &[&str]) -> Lhttpd {
        let bin = dir.join("lhttpd");
        std::fs::copy(env!("CARGO_BIN_EXE_lhttpd"), &bin).unwrap();
        let log = dir.join("lhttpd.log");
        let spawn = || {
            Command::new(&bin)
                .current_dir(dir)
                .args(["--listen", "127.0.0.1:0", "--log", "info"])
                .args(args)
                .env_remove("LHTTPD_STATIC")
                .env_remove("LHTTPD_MOUNTS")
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
        };
        // Another test thread forking while the copy was open for writing holds it
        // open in its child until that child execs: exec then fails with ETXTBSY
        // for a moment. Try again briefly rather than fail on the race.
        let mut tries = 0;
        let mut child = loop {
            match spawn() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other.unwrap(),
            }
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("lhttpd listening on ")
            .expect(&line)
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        let started = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(l) = text.lines().find(|l| l.contains("lhttpd started")) {
                break l.to_string();
            }
            assert!(Instant::now() < deadline, "no start-up line: {text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        Lhttpd { child, addr, started }
    }

    /// A raw HTTP/1.1 request: status, lower-cased headers and body.
    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
        let head = String::from_utf8_lossy(&out[..split]).into_owned();
        let body = out[split + 4..].to_vec();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, body)
    }

    fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        self.call("GET", path, &[])
    }
}

impl Drop for Lhttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_copied_binary_serves_the_demo_and_the_sdk_from_memory_or_says_it_was_built_without() {
    let dir = temp_dir("copy");
    let lhttpd = Lhttpd::start(&dir, &[]);
    let (status, headers, body) = lhttpd.get("/");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"));
    let page = String::from_utf8_lossy(&body);
    if !built_with_wasm() {
        // A fresh checkout's cargo test: the plain page, and the log says why and what to run.
        assert_eq!(page, include_str!("../../src/builtin.html"));
        assert!(
            lhttpd.started.contains(
                "pages=built-in page: this binary was built without the demo (run scripts/build-wasm.sh, then build again)"
            ),
            "{}",
            lhttpd.started
        );
        assert_eq!(lhttpd.get("/js-sdk/index.js").0, 404);
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    assert!(
        lhttpd.started.contains("pages=/ and /js-sdk built in"),
        "{}",
        lhttpd.started
    );
    assert!(page.contains("<h1>lhttp chat</h1>"), "{page}");
    assert!(page.contains("/js-sdk/index.js"), "the demo imports the SDK: {page}");
    let same_as_repo = |url: &str, file: &str, content_type: &str| {
        let (status, headers, body) = lhttpd.get(url);
        assert_eq!(status, 200, "{url}");
        assert_eq!(header(&headers, "content-type"), Some(content_type), "{url}");
        let want = std::fs::read(repo(file)).unwrap();
        assert_eq!(
            header(&headers, "content-length"),
            Some(want.len().to_string().as_str()),
            "{url}"
        );
        assert!(body == want, "{url}: not the bytes of {file}");
        header(&headers, "etag").expect("an ETag").to_string()
    };
    same_as_repo("/index.html", "examples/chat/index.html", "text/html; charset=utf-8");
    let etag = same_as_repo("/js-sdk/index.js", "js-sdk/index.js", "text/javascript; charset=utf-8");
    same_as_repo(
        "/js-sdk/src/client.js",
        "js-sdk/src/client.js",
        "text/javascript; charset=utf-8",
    );
    same_as_repo(
        "/js-sdk/wasm/lhttp_wasm.js",
        "js-sdk/wasm/lhttp_wasm.js",
        "text/javascript; charset=utf-8",
    );
    same_as_repo(
        "/js-sdk/wasm/lhttp_wasm_bg.wasm",
        "js-sdk/wasm/lhttp_wasm_bg.wasm",
        "application/wasm",
    );

    // A browser's revalidation: 304 with no body for the version it has, 200 for another.
    let (status, _, body) = lhttpd.call("GET", "/js-sdk/index.js", &[("If-None-Match", &etag)]);
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(
        lhttpd
            .call("GET", "/js-sdk/index.js", &[("If-None-Match", "\"other\"")])
            .0,
        200
    );
    // HEAD: the length of the body, no body.
    let wasm_len = std::fs::metadata(repo("js-sdk/wasm/lhttp_wasm_bg.wasm")).unwrap().len();
    let (status, headers, body) = lhttpd.call("HEAD", "/js-sdk/wasm/lhttp_wasm_bg.wasm", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-length"), Some(wasm_len.to_string().as_str()));
    assert!(body.is_empty());
    // Only what the SDK ships: not its tests, its package.json or anything else.
    for missing in [
        "/js-sdk/package.json",
        "/js-sdk/test/",
        "/js-sdk/README.md",
        "/nope.js",
        "/js-sdk/../Cargo.toml",
    ] {
        assert_eq!(lhttpd.get(missing).0, 404, "{missing}");
    }
    drop(lhttpd);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn static_and_mount_override_the_built_in_demo() {
    let dir = temp_dir("static");
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<h1>my own page</h1>").unwrap();
    let lhttpd = Lhttpd::start(&dir, &["--static", www.to_str().unwrap()]);
    assert!(
        lhttpd.started.contains(&format!("pages=/ from {}", www.display())),
        "{}",
        lhttpd.started
    );
    let (status, _, body) = lhttpd.get("/");
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (200, "<h1>my own page</h1>")
    );
    // The SDK stays available to the operator's page, from memory, where the directory has none.
    let sdk = lhttpd.get("/js-sdk/index.js").0;
    assert_eq!(sdk, if built_with_wasm() { 200 } else { 404 });
    drop(lhttpd);

    // --mount: its files win over the embedded SDK's, the demo stays.
    let mine = dir.join("sdk");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("index.js"), "// my own sdk").unwrap();
    let mount = format!("/js-sdk={}", mine.display());
    let lhttpd = Lhttpd::start(&dir, &["--mount", &mount]);
    let (status, headers, body) = lhttpd.get("/js-sdk/index.js");
    assert_eq!((status, body.as_slice()), (200, b"// my own sdk".as_slice()));
    assert_eq!(header(&headers, "content-type"), Some("text/javascript; charset=utf-8"));
    let page = String::from_utf8_lossy(&lhttpd.get("/").2).into_owned();
    if built_with_wasm() {
        assert!(page.contains("<h1>lhttp chat</h1>"), "{page}");
        // What the mount lacks still comes from memory: a file on disk wins, no more.
        assert_eq!(lhttpd.get("/js-sdk/wasm/lhttp_wasm_bg.wasm").0, 200);
    } else {
        assert_eq!(page, include_str!("../../src/builtin.html"));
    }
    drop(lhttpd);
    let _ = std::fs::remove_dir_all(dir);
}
