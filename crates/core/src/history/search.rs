//! Full-text search over every message (SQLite FTS5, `unicode61 remove_diacritics 2`,
//! so Russian and English fold case and accents alike, and ё is searched as е; every
//! word matches as a prefix).

use rusqlite::params;
use serde::Serialize;

use super::{role_from, History};
use crate::Result;

/// Opens a highlighted match inside `SearchHit::snippet` (a private-use character, so
/// the UI can build `<mark>` elements without parsing markup).
pub const MARK_OPEN: char = '\u{E000}';
/// Closes a highlighted match.
pub const MARK_CLOSE: char = '\u{E001}';
pub const MAX_HITS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub message_id: i64,
    pub conversation_id: i64,
    pub title: String,
    pub role: dynaspark::Role,
    /// Text around the match, matches between `MARK_OPEN` and `MARK_CLOSE`.
    pub snippet: String,
    pub created_at: i64,
    /// In an earlier version (off the shown path): `History::reveal` shows it.
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub took_ms: f64,
}

impl History {
    /// The newest messages matching every word of `query` (each as a prefix), in live
    /// conversations. An empty query, or one without letters or digits, finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults> {
        let started = std::time::Instant::now();
        let Some(expr) = fts_query(query) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                took_ms: 0.0,
            });
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, m.conversation_id, c.title, m.role,
                    snippet(messages_fts, 0, ?3, ?4, '…', 14), m.created_at, m.hidden
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ?1 AND c.deleted_at IS NULL
             ORDER BY messages_fts.rowid DESC
             LIMIT ?2",
        )?;
        let hits = stmt
            .query_map(
                params![
                    expr,
                    limit.clamp(1, MAX_HITS) as i64,
                    MARK_OPEN.to_string(),
                    MARK_CLOSE.to_string()
                ],
                |r| {
                    Ok(SearchHit {
                        message_id: r.get(0)?,
                        conversation_id: r.get(1)?,
                        title: r.get(2)?,
                        role: role_from(&r.get::<_, String>(3)?),
                        snippet: tidy_snippet(&r.get::<_, String>(4)?),
                        created_at: r.get(5)?,
                        hidden: r.get(6)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(SearchResults {
            hits,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// Characters before the first match kept in a snippet: the match must show in a
/// two-line result.
const LEAD_CHARS: usize = 40;

/// A snippet as one line of plain words: Markdown's table bars and rules, emphasis and
/// heading marks and line breaks go, and text long before the first match is cut.
fn tidy_snippet(raw: &str) -> String {
    let plain: String = raw
        .chars()
        .map(|c| if "|*#`>".contains(c) { ' ' } else { c })
        .collect();
    // Table rules ("---", ":-:") and list dashes carry nothing in one line of text.
    let words: Vec<&str> = plain
        .split_whitespace()
        .filter(|w| {
            w.chars()
                .any(|c| c.is_alphanumeric() || matches!(c, MARK_OPEN | MARK_CLOSE | '…'))
        })
        .collect();
    let mut line = words.join(" ");
    if let Some(at) = line.find(MARK_OPEN) {
        let before = line[..at].chars().count();
        if before > LEAD_CHARS {
            let skip = before - LEAD_CHARS;
            let cut = line.char_indices().nth(skip).map_or(at, |(i, _)| i);
            let cut = line[cut..at].find(' ').map_or(cut, |space| cut + space + 1);
            line = format!("…{}", &line[cut..]);
        }
    }
    line
}

/// The person's words as an FTS5 expression: each word a quoted prefix term, all
/// required. Quoting makes every character literal, so no input is a syntax error.
fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('ё', "е").replace('Ё', "Е")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::{fts_query, tidy_snippet};

    #[test]
    fn snippets_are_plain_and_start_near_the_match() {
        assert_eq!(
            tidy_snippet("| a | **b** |\n|---|:-:|\n# Title - \u{E000}word\u{E001} end…"),
            "a b Title \u{E000}word\u{E001} end…"
        );
        let long = format!("{} \u{E000}match\u{E001} after", "лес ".repeat(40));
        let tidy = tidy_snippet(&long);
        assert!(tidy.starts_with('…'), "{tidy}");
        let before = tidy.split('\u{E000}').next().unwrap().chars().count();
        assert!(before <= 42, "{tidy}");
        assert!(tidy.ends_with("\u{E000}match\u{E001} after"));
    }

    #[test]
    fn words_become_prefix_terms_and_punctuation_is_harmless() {
        assert_eq!(fts_query("red squ").unwrap(), "\"red\"* \"squ\"*");
        assert_eq!(fts_query("Привет, мир!").unwrap(), "\"Привет\"* \"мир\"*");
        assert_eq!(
            fts_query("\"AND\" OR NEAR(x*) -y").unwrap(),
            "\"AND\"* \"OR\"* \"NEAR\"* \"x\"* \"y\"*"
        );
        assert_eq!(fts_query("  --- ** "), None);
        assert_eq!(fts_query(""), None);
    }
}
