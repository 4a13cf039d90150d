//! Where each part of a message lies in its buffer: core's parse, kept as byte ranges
//! so that an `lhttp_message` can hand out views without borrowing from core.

use std::ops::Range;

use lhttp_core::{Error as CoreError, Header, Part, EMPTY_HEADER};

use crate::types::lhttp_parse_limits;

/// Where each part of a message lies in its buffer.
#[derive(Debug)]
pub(super) struct Fields {
    /// The command.
    pub(super) command: Range<usize>,
    /// The headers in order.
    pub(super) headers: Vec<HeaderRange>,
    /// The body.
    pub(super) body: Range<usize>,
    /// The parts (offsets into the body) or why splitting failed.
    pub(super) parts: Result<Vec<PartRanges>, CoreError>,
}

/// A header's name and value.
#[derive(Debug, Clone)]
pub(super) struct HeaderRange {
    pub(super) name: Range<usize>,
    pub(super) value: Range<usize>,
}

/// One multipart part: its offsets and its headers (or why reading them failed).
#[derive(Debug)]
pub(super) struct PartRanges {
    pub(super) part: Part,
    pub(super) headers: Result<Vec<HeaderRange>, CoreError>,
}

/// The range `sub` occupies in `buf` (views from core always lie inside it).
fn range_in(buf: &[u8], sub: &[u8]) -> Range<usize> {
    let start = (sub.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    if start <= buf.len() && sub.len() <= buf.len() - start {
        start..start + sub.len()
    } else {
        0..0
    }
}

fn header_ranges(buf: &[u8], headers: &[Header<'_>]) -> Vec<HeaderRange> {
    headers
        .iter()
        .map(|h| HeaderRange {
            name: range_in(buf, h.name.as_bytes()),
            value: range_in(buf, h.value.as_bytes()),
        })
        .collect()
}

impl Fields {
    /// Parses `buf` with core, then splits and reads the parts (keeping their errors).
    pub(super) fn parse(buf: &[u8], limits: &lhttp_parse_limits) -> Result<Fields, CoreError> {
        let mut storage = vec![EMPTY_HEADER; limits.max_headers];
        let msg = lhttp_core::parse(buf, &mut storage)?;
        let parts = match msg.parts() {
            None => Ok(Vec::new()),
            Some(parts) => {
                let mut out = Vec::new();
                let mut result = Ok(());
                for part in parts {
                    match part {
                        Ok(_) if out.len() == limits.max_parts => {
                            result = Err(CoreError::TooManyParts);
                            break;
                        }
                        Ok(part) => {
                            let mut part_storage = vec![EMPTY_HEADER; limits.max_part_headers];
                            let headers = part
                                .parse(msg.body, &mut part_storage)
                                .map(|p| header_ranges(buf, p.headers));
                            out.push(PartRanges { part, headers });
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                result.map(|()| out)
            }
        };
        Ok(Fields {
            command: range_in(buf, msg.command.as_bytes()),
            headers: header_ranges(buf, msg.headers),
            body: range_in(buf, msg.body),
            parts,
        })
    }
}
