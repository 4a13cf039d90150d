//! Gives liblhttp.so a SONAME, so a program linked with `-llhttp` records `liblhttp.so.MAJOR`
//! (the name scripts/install-c.sh installs as a link to the versioned file) and keeps working
//! across compatible updates instead of naming the unversioned development link.

fn main() {
    // ELF platforms only: macOS and Windows name their libraries differently.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos" | "solaris"
    );
    if elf {
        // The major version, also for 0.x (liblhttp.so.0), as meson and Debian name 0.x
        // libraries; ffi/README.md says what that promises.
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblhttp.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
