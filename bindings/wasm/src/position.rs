//! History positions (`<epoch>:<offset>`, and `<ch> <epoch>:<offset>` as in `since`
//! and `position` headers) read and written by core, for the conformance vectors and
//! for applications that keep a position themselves. Offsets cross as decimal
//! strings: they go up to 2^63 - 1, past a JS number's exact integers.

use lhttp_core::position::{self, Position};
use wasm_bindgen::prelude::*;

use crate::error::core_error;

/// Reads a position (`withChannel`: a channel, spaces, a position) and returns
/// `[channel, epoch, offset, text]`: the channel (`''` without), the epoch, the offset
/// as a decimal string, and the position written back as core writes it. Throws with
/// `code` `Position`.
#[wasm_bindgen(js_name = readPosition)]
pub fn read_position(
    value: &str,
    #[wasm_bindgen(js_name = withChannel)] with_channel: bool,
) -> Result<Vec<String>, JsValue> {
    let (channel, p) = if with_channel {
        position::parse_channel(value)
    } else {
        Position::parse(value).map(|p| ("", p))
    }
    .map_err(core_error)?;
    let text = write_position(with_channel.then(|| channel.to_owned()), p.epoch, &p.offset.to_string())?;
    Ok(vec![channel.into(), p.epoch.into(), p.offset.to_string(), text])
}

/// Writes `<epoch>:<offset>`, or `<channel> <epoch>:<offset>` when `channel` is given
/// (`offset` a decimal string). Throws with `code` `Channel` or `Position`.
#[wasm_bindgen(js_name = writePosition)]
pub fn write_position(channel: Option<String>, epoch: &str, offset: &str) -> Result<String, JsValue> {
    let p = Position {
        epoch,
        offset: position::parse_offset(offset).map_err(core_error)?,
    };
    let mut out = vec![0u8; channel.as_deref().map_or(0, |c| c.len() + 1) + p.encoded_len()];
    let n = match channel.as_deref() {
        Some(c) => position::write_channel(c, &p, &mut out),
        None => p.write(&mut out),
    }
    .map_err(core_error)?;
    Ok(String::from_utf8_lossy(&out[..n]).into_owned())
}
