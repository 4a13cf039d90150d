//! The chat demo and the browser SDK carried in the binary, as `build.rs` found them at
//! build time, so a `lhttpd` copied anywhere serves them without the repository.
//!
//! URL paths: the demo at `/` (`/index.html`), the SDK at `/js-sdk/` (what
//! `js-sdk/package.json` ships, its wasm included). Empty when the build found no wasm
//! (`scripts/build-wasm.sh` was not run): [`missing`] then says why. The admin dashboard at
//! `/admin/` (served only with an admin token), without its charts when
//! `scripts/build-admin.sh` was not run: [`admin_missing`] then says why.

/// One embedded file.
#[derive(Debug)]
pub struct File {
    /// The URL path it answers, e.g. `/js-sdk/index.js`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its strong `ETag`, quotes included.
    pub etag: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Every embedded file, sorted by URL path.
pub fn files() -> &'static [File] {
    FILES
}

/// The file for a URL path (`/` and other paths ending in `/` name their `index.html`).
pub fn find(path: &str) -> Option<&'static File> {
    let index;
    let path = if path.ends_with('/') {
        index = format!("{path}index.html");
        &index
    } else {
        path
    };
    FILES.binary_search_by(|f| f.path.cmp(path)).ok().map(|i| &FILES[i])
}

/// Whether this binary carries the chat demo (and with it the browser SDK).
pub fn has_demo() -> bool {
    find("/index.html").is_some()
}

/// Why this binary carries no demo (e.g. the wasm was not built), or `None` when it does.
pub fn missing() -> Option<&'static str> {
    MISSING
}

/// Whether this binary carries the admin dashboard page (`/admin/index.html`).
pub fn has_admin_page() -> bool {
    find("/admin/index.html").is_some()
}

/// Why this binary carries no admin page, or the page without its charts; `None` when it
/// carries both.
pub fn admin_missing() -> Option<&'static str> {
    ADMIN_MISSING
}
