//! The content type of a served file from its extension: one table shared by the
//! static files read from disk (`statics`) and by `build.rs`, which stores each
//! embedded file's type with its bytes.

/// The content type for a file extension (without the dot); octet-stream for others.
pub(crate) fn for_extension(ext: &str) -> &'static str {
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
