//! Embeds the chat demo (`examples/chat/`) and the browser SDK (what `js-sdk/package.json`
//! ships, its wasm included) in `lhttpd`, so a binary copied anywhere serves them: writes
//! `$OUT_DIR/embedded.rs`, a table sorted by URL path of `include_bytes!` with absolute paths,
//! read by `src/embedded.rs`.
//!
//! The SDK's wasm is a build output of `scripts/build-wasm.sh` (gitignored), and this script
//! runs neither npm nor the network: without `js-sdk/wasm/lhttp_wasm_bg.wasm` (a fresh
//! checkout, or the crate built outside the repository) nothing of the demo or the SDK is
//! embedded, a `cargo:warning` says so, and the table is empty (lhttpd then serves its
//! built-in page and says why at start-up).
//!
//! Each bundle is a URL prefix and the files under it. The admin dashboard (`admin/`, at
//! `/admin/`) is one more, embedded whether or not the wasm was built: its page, modules and
//! stylesheet always, and uPlot (its charts) from `admin/vendor/`, which `scripts/build-admin.sh`
//! fills from the pinned npm package; without it the page is embedded without charts, a
//! `cargo:warning` says so, and the page and lhttpd's start-up line say what to run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

#[path = "src/content_types.rs"]
mod content_types;

/// The file whose absence means "the wasm was not built": nothing is embedded without it.
const WASM: &str = "js-sdk/wasm/lhttp_wasm_bg.wasm";

/// One file to embed: its URL path and where it is on disk.
struct Embed {
    url: String,
    file: PathBuf,
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/content_types.rs");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(&manifest).to_path_buf();
    let (files, missing) = match collect(&root) {
        Ok(files) => (files, None),
        Err(why) => {
            println!(
                "cargo:warning=lhttpd is built without the chat demo and the browser SDK: {why}; \
                 run scripts/build-wasm.sh, then build again (until then / serves the built-in page)"
            );
            (Vec::new(), Some(why))
        }
    };
    let mut files = files;
    let admin_missing = match admin(&root) {
        Ok((admin_files, charts_missing)) => {
            files.extend(admin_files);
            files.sort_by(|a, b| a.url.cmp(&b.url));
            if let Some(why) = &charts_missing {
                println!(
                    "cargo:warning=lhttpd's /admin page is built without its charts: {why}; \
                     run scripts/build-admin.sh, then build again"
                );
            }
            charts_missing
        }
        Err(why) => Some(why),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("embedded.rs");
    let code = generate(&files, missing.as_deref(), admin_missing.as_deref());
    // Written only when it changed, so a rerun with the same files rebuilds nothing more.
    if fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        fs::write(&out, code).expect("write embedded.rs");
    }
}

/// Every file to embed, sorted by URL path, or why there are none.
fn collect(root: &Path) -> Result<Vec<Embed>, String> {
    let sdk = root.join("js-sdk");
    let package = sdk.join("package.json");
    if !package.is_file() {
        // Built outside the repository (e.g. from a package): nothing can appear later.
        return Err(format!(
            "{} not found (crate built outside the repository)",
            package.display()
        ));
    }
    watch(&package);
    let wasm_dir = sdk.join("wasm");
    if !root.join(WASM).is_file() {
        // Rerun when the wasm appears: its directory when there is one, else js-sdk/ itself.
        watch(if wasm_dir.is_dir() { &wasm_dir } else { &sdk });
        return Err(format!("{WASM} is missing"));
    }
    let demo = root.join("examples/chat");
    if !demo.join("index.html").is_file() {
        watch(if demo.is_dir() { &demo } else { root });
        return Err("examples/chat/index.html is missing".into());
    }
    let mut files = Vec::new();
    // Bundle 1: the chat demo at /.
    watch(&demo);
    walk(&demo, "", &mut files)?;
    // Bundle 2: the browser SDK at /js-sdk/, exactly what its package ships.
    for entry in shipped(&package)? {
        let path = sdk.join(entry.trim_end_matches('/'));
        let url = format!("/js-sdk/{}", entry.trim_end_matches('/'));
        if path.is_dir() {
            watch(&path);
            walk(&path, &url, &mut files)?;
        } else if path.is_file() {
            watch(&path);
            files.push(Embed { url, file: path });
        } else {
            watch(&sdk);
            return Err(format!("js-sdk/{entry}, which js-sdk/package.json ships, is missing"));
        }
    }
    files.sort_by(|a, b| a.url.cmp(&b.url));
    files.dedup_by(|a, b| a.url == b.url);
    Ok(files)
}

/// The admin bundle at `/admin/`: `admin/`'s page, modules and stylesheets (not its tests nor
/// its npm files), and `admin/vendor/` when `scripts/build-admin.sh` filled it; with why its
/// charts are missing when it did not. `Err`: no admin page at all (built outside the repository).
fn admin(root: &Path) -> Result<(Vec<Embed>, Option<String>), String> {
    let dir = root.join("admin");
    if !dir.join("index.html").is_file() {
        watch(if dir.is_dir() { &dir } else { root });
        return Err("admin/index.html not found (crate built outside the repository)".into());
    }
    watch(&dir);
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("html" | "js" | "css")))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        watch(&path);
        files.push(Embed {
            url: format!("/admin/{name}"),
            file: path,
        });
    }
    let vendor = dir.join("vendor");
    let charts_missing = if vendor.join(ADMIN_CHARTS).is_file() {
        watch(&vendor);
        walk(&vendor, "/admin/vendor", &mut files)?;
        None
    } else {
        Some(format!("admin/vendor/{ADMIN_CHARTS} is missing"))
    };
    Ok((files, charts_missing))
}

/// The file of `admin/vendor/` whose absence means "the charts were not built".
const ADMIN_CHARTS: &str = "uPlot.esm.js";

/// The `files` of js-sdk/package.json: what the SDK ships (files, and directories ending in `/`).
fn shipped(package: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(package).map_err(|e| format!("{}: {e}", package.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", package.display()))?;
    let files = json["files"]
        .as_array()
        .ok_or_else(|| format!("{}: no \"files\" list", package.display()))?;
    Ok(files.iter().filter_map(|f| f.as_str()).map(str::to_string).collect())
}

/// Adds every file under `dir` (hidden ones skipped), at `prefix/<relative path>`.
fn walk(dir: &Path, prefix: &str, files: &mut Vec<Embed>) -> Result<(), String> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let url = format!("{prefix}/{name}");
        if path.is_dir() {
            walk(&path, &url, files)?;
        } else {
            watch(&path);
            files.push(Embed { url, file: path });
        }
    }
    Ok(())
}

fn watch(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}

/// The Rust source of the table: `FILES` sorted by URL path, and `MISSING`.
fn generate(files: &[Embed], missing: Option<&str>, admin_missing: Option<&str>) -> String {
    let mut code = String::from("// Generated by server/build.rs: the embedded demo and browser SDK.\n\n");
    let _ = writeln!(
        code,
        "/// Why nothing is embedded, or `None` when the demo and the SDK are."
    );
    let _ = writeln!(code, "const MISSING: Option<&str> = {missing:?};\n");
    let _ = writeln!(
        code,
        "/// Why the admin page or its charts are not embedded, or `None` when both are."
    );
    let _ = writeln!(code, "const ADMIN_MISSING: Option<&str> = {admin_missing:?};\n");
    let _ = writeln!(code, "/// The embedded files, sorted by URL path.");
    let _ = writeln!(code, "static FILES: &[File] = &[");
    for f in files {
        let bytes = fs::read(&f.file).unwrap_or_else(|e| panic!("{}: {e}", f.file.display()));
        let ext = f.file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let Some(abs) = f.file.to_str() else {
            panic!("{}: not UTF-8, cannot be embedded", f.file.display());
        };
        let _ = writeln!(
            code,
            "    File {{ path: {:?}, content_type: {:?}, etag: {:?}, bytes: include_bytes!({abs:?}) }},",
            f.url,
            content_types::for_extension(ext),
            etag(&bytes),
        );
    }
    code.push_str("];\n");
    code
}

/// A strong entity tag: the length and the 64-bit FNV-1a hash of the bytes.
fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{:x}-{h:016x}\"", bytes.len())
}
