//! The Markdown export: conversations written as a document to read, never imported back.
//! Writes plain Markdown text only; turning Markdown into HTML is `crate::markdown`'s job.

use std::collections::HashSet;
use std::io::Write;

use dynaspark::Role;

use super::images::ImageCopier;
use crate::ConversationRecord;

/// One conversation: a heading, when it started and was last active, then each message under
/// who wrote it; `first` leaves off the rule that separates it from the one before.
pub(super) fn write_conversation(
    out: &mut impl Write,
    record: &ConversationRecord,
    copier: &ImageCopier<'_>,
    missing: &HashSet<String>,
    first: bool,
) -> std::io::Result<()> {
    if !first {
        write!(out, "\n---\n\n")?;
    }
    let title = record
        .title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.is_empty() {
        "Untitled conversation"
    } else {
        &title
    };
    writeln!(out, "# {title}\n")?;
    write!(
        out,
        "Started {} · last active {}",
        utc(record.created_at),
        utc(record.updated_at)
    )?;
    if record.pinned {
        write!(out, " · pinned")?;
    }
    writeln!(out)?;
    // For reading: the versions shown in the app, not the earlier ones.
    for m in record.messages.iter().filter(|m| !m.hidden) {
        let time = utc(m.created_at);
        match (m.role, &m.model) {
            (Role::User, _) => writeln!(out, "\n**You** · {time}\n")?,
            (Role::Assistant, Some(model)) => {
                writeln!(out, "\n**Dynaspark** ({}) · {time}\n", inline_text(model))?
            }
            (Role::Assistant, None) => writeln!(out, "\n**Dynaspark** · {time}\n")?,
            (Role::System, _) => writeln!(out, "\n**Instructions** · {time}\n")?,
        }
        let text = m.text.trim_end();
        if !text.is_empty() {
            writeln!(out, "{text}")?;
            if let Some(fence) = unclosed_fence(text) {
                writeln!(out, "{fence}")?;
            }
        }
        if let Some(image) = &m.image {
            if !text.is_empty() {
                writeln!(out)?;
            }
            let name = inline_text(&image.name);
            if missing.contains(&image.file) {
                writeln!(out, "*(image {name} was missing from the library)*")?;
            } else {
                writeln!(out, "![{name}]({})", link_target(&copier.link(&image.file)))?;
            }
        }
    }
    Ok(())
}

/// Text for one line of Markdown: whitespace collapsed, link brackets and escapes escaped.
fn inline_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A relative link target with everything but unreserved characters and `/` percent-encoded
/// (spaces, brackets, non-ASCII stems).
fn link_target(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The fence that closes a code block left open at the end of `text` (an answer cut off
/// mid-stream), so it does not swallow the rest of the document.
fn unclosed_fence(text: &str) -> Option<String> {
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        let rest = line.trim_start_matches(' ');
        if line.len() - rest.len() > 3 {
            continue;
        }
        let Some(c) = rest.chars().next().filter(|c| matches!(c, '`' | '~')) else {
            continue;
        };
        let n = rest.chars().take_while(|x| *x == c).count();
        if n < 3 {
            continue;
        }
        let after = &rest[n..];
        match open {
            None if c == '`' && after.contains('`') => {}
            None => open = Some((c, n)),
            Some((oc, on)) if c == oc && n >= on && after.trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    open.map(|(c, n)| c.to_string().repeat(n))
}

/// `YYYY-MM-DD HH:MM UTC` for Unix milliseconds.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_in_the_proleptic_gregorian_calendar() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_764_079_387_000), "2025-11-25 14:03 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn only_open_code_fences_are_closed() {
        assert_eq!(unclosed_fence("a\n```rust\nfn x() {"), Some("```".into()));
        assert_eq!(unclosed_fence("````\n```\nstill code"), Some("````".into()));
        assert_eq!(unclosed_fence("~~~\ncode\n~~~"), None);
        assert_eq!(unclosed_fence("```js\nx\n```\ntext"), None);
        assert_eq!(unclosed_fence("inline ```code``` only"), None);
        assert_eq!(unclosed_fence("    ```\nindented code block"), None);
    }

    #[test]
    fn link_targets_and_alt_texts_are_escaped() {
        assert_eq!(link_target("a b-images/x.png"), "a%20b-images/x.png");
        assert_eq!(link_target("(1)"), "%281%29");
        assert_eq!(inline_text("a [b]\n*c*"), r"a \[b\] \*c\*");
    }
}
