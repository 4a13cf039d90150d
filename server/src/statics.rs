//! Static files read from disk (`--static`, `--mount`) for an operator's own pages, and the
//! plain built-in page for a binary built without the demo (`embedded` carries the demo).

use bytes::Bytes;
use std::path::{Path, PathBuf};

/// A small chat page on the browser's own WebSocket, served at `/` when no static directory
/// is set and the binary carries no demo (built without the wasm).
pub const BUILTIN_PAGE: &str = include_str!("builtin.html");

/// Finds the file for a request path: the longest matching mount, else the
/// static root. `None` for paths that try to leave the directory.
pub fn resolve(path: &str, root: Option<&Path>, mounts: &[(String, PathBuf)]) -> Option<PathBuf> {
    if path
        .split('/')
        .any(|seg| seg == ".." || seg.starts_with('.') && !seg.is_empty() || seg.contains('\\'))
    {
        return None;
    }
    let mut best: Option<(&str, &Path)> = None;
    for (prefix, dir) in mounts {
        let p = prefix.trim_end_matches('/');
        let under = path == p || path.starts_with(&format!("{p}/"));
        if under && best.is_none_or(|(b, _)| p.len() > b.len()) {
            best = Some((p, dir));
        }
    }
    let (rest, dir) = match best {
        Some((p, dir)) => (&path[p.len()..], dir),
        None => (path, root?),
    };
    let rest = rest.trim_start_matches('/');
    let mut file = dir.join(rest);
    if rest.is_empty() || rest.ends_with('/') || file.is_dir() {
        file = file.join("index.html");
    }
    Some(file)
}

/// The content type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    crate::content_types::for_extension(path.extension().and_then(|e| e.to_str()).unwrap_or(""))
}

/// Reads a file for serving.
pub async fn read(path: &Path) -> Option<Bytes> {
    tokio::fs::read(path).await.ok().map(Bytes::from)
}
