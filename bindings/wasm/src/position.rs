//! History positions between JavaScript and core, so that no JavaScript splits or
//! joins `<epoch>:<offset>`: the SDK hands applications `{ epoch, offset }` objects
//! (the offset a JS number, exact to 2^53 - 1, as in the Node SDK) and takes them back,
//! and core reads and writes the text. With the `vectors` feature (the conformance
//! test build, never shipped) `readPosition` and `writePosition` expose core's text
//! forms to spec/vectors/positions.json.

use js_sys::{BigInt, Reflect};
use lhttp_core::position::{self, Position};
use lhttp_core::OwnedPosition;
use wasm_bindgen::prelude::*;

use crate::error::core_error;

/// The largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// `p` as `{ epoch, offset }`; an offset past 2^53 - 1 throws with `code` `Position`
/// (a JS number would not hold it exactly).
pub fn to_js(p: Position<'_>) -> Result<JsValue, JsValue> {
    if p.offset > MAX_SAFE_INTEGER {
        return Err(position_error(&format!("offset {} of {p} is past 2^53 - 1", p.offset)));
    }
    let obj = js_sys::Object::new();
    // Defining properties on a fresh plain object cannot fail.
    let _ = Reflect::set(&obj, &"epoch".into(), &p.epoch.into());
    let _ = Reflect::set(&obj, &"offset".into(), &(p.offset as f64).into());
    Ok(obj.into())
}

/// `{ epoch, offset }` (offset a whole number of 0 or more, or a bigint) as a
/// position, checked by core; anything else throws with `code` `Position`.
pub fn from_js(value: &JsValue) -> Result<OwnedPosition, JsValue> {
    let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let (epoch, offset) = (field("epoch"), field("offset"));
    let offset = match (offset.as_f64(), offset.dyn_ref::<BigInt>()) {
        (Some(n), _) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER as f64 => Some(n as u64),
        // A bigint's decimal digits, read by core (up to 2^63 - 1).
        (_, Some(big)) => big
            .to_string(10)
            .ok()
            .and_then(|s| s.as_string())
            .and_then(|s| position::parse_offset(&s).ok()),
        _ => None,
    };
    match (epoch.as_string(), offset) {
        (Some(epoch), Some(offset)) => {
            let p = Position::new(&epoch, offset).map_err(core_error)?;
            Ok(p.into())
        }
        _ => Err(position_error(
            "a position is { epoch, offset }: an epoch string and a whole offset of 0 or more",
        )),
    }
}

/// A JS `Error` with `code` `Position` and this message as its `detail` too (as the
/// session's errors have).
fn position_error(message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Setting properties on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &"code".into(), &lhttp_core::Error::Position.as_str().into());
    let _ = Reflect::set(&err, &"detail".into(), &message.into());
    err.into()
}

/// Reads a position (`withChannel`: a channel, spaces, a position) and returns
/// `[channel, epoch, offset, text]`: the channel (`''` without), the epoch, the offset
/// as a decimal string, and the position written back as core writes it. Throws with
/// `code` `Position`.
#[cfg(feature = "vectors")]
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
#[cfg(feature = "vectors")]
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
