//! Cursor pagination: lists are ordered by a key and the cursor is the key of
//! the last item shown, so a page costs the same however deep it is.

use base64::Engine as _;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Encodes a (text, id) sort key.
pub fn encode_cursor(key: &str, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{id}\u{1f}{key}"))
}

/// Decodes a cursor made by [`encode_cursor`]; `None` for anything else.
pub fn decode_cursor(c: &str) -> Option<(String, i64)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (id, key) = s.split_once('\u{1f}')?;
    Some((key.to_string(), id.parse().ok()?))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern and lowercases.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::from("%");
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Cuts a fetched `limit + 1` rows to `limit` and makes the next cursor.
pub fn finish<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> (String, i64)) -> Page<T> {
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            let (k, id) = key(r);
            encode_cursor(&k, id)
        })
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cursor_round_trip() {
        let c = encode_cursor("ООО «Ромашка»", 42);
        assert_eq!(decode_cursor(&c), Some(("ООО «Ромашка»".to_string(), 42)));
        assert_eq!(decode_cursor("garbage!"), None);
        assert_eq!(like_pattern("50%_Off"), "%50\\%\\_off%");
    }
}
