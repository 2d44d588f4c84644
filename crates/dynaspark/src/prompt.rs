//! Turns a conversation into the single `user_input` string the vision endpoint takes.
//! Pure functions only: no I/O, no knowledge of how messages are stored.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The capitalised name used in a flattened prompt line.
    fn label(self) -> &'static str {
        match self {
            Role::System => "System",
            Role::User => "User",
            Role::Assistant => "Assistant",
        }
    }
}

/// One message of a conversation, as far as the prompt is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub text: String,
}

impl Message {
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            text: text.into(),
        }
    }
}

/// Flattens messages into one prompt, exactly as the protocol page says:
/// one message is its text unchanged; several become `Role: text` lines
/// (blank messages skipped) followed by a final `Assistant:` line.
pub fn flatten(messages: &[Message]) -> String {
    match messages {
        [] => String::new(),
        [only] => only.text.clone(),
        many => {
            let mut out = String::new();
            for m in many.iter().filter(|m| !m.text.trim().is_empty()) {
                out.push_str(m.role.label());
                out.push_str(": ");
                out.push_str(&m.text);
                out.push('\n');
            }
            out.push_str("Assistant:");
            out
        }
    }
}

/// Flattens, then trims a prompt longer than `max_chars` the way the reference
/// client does: first and last three messages; then system messages plus the last
/// one; then the last message's text alone (which may still exceed the limit).
pub fn flatten_within(messages: &[Message], max_chars: usize) -> String {
    let full = flatten(messages);
    if fits(&full, max_chars) {
        return full;
    }
    let systems: Vec<Message> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .cloned()
        .collect();
    let prompt = if messages.len() > 6 {
        flatten_long(
            &messages[..3],
            &systems,
            &messages[messages.len() - 3..],
            max_chars,
        )
    } else if messages.len() > 2 {
        trim_to_systems_and_last(&systems, messages, max_chars)
    } else {
        messages.last().map(|m| m.text.clone()).unwrap_or_default()
    };
    tracing::debug!(
        to = prompt.chars().count(),
        limit = max_chars,
        "prompt trimmed"
    );
    prompt
}

/// `flatten_within` for a conversation of more than six messages whose flattened whole
/// is known to be longer than `max_chars`, given only what the trimming looks at: its
/// first three messages, all its system messages, and its last messages (at least
/// three). A store can answer that without reading a long conversation whole.
pub fn flatten_long(
    first: &[Message],
    systems: &[Message],
    last: &[Message],
    max_chars: usize,
) -> String {
    let ends: Vec<Message> = first
        .iter()
        .take(3)
        .chain(&last[last.len().saturating_sub(3)..])
        .cloned()
        .collect();
    let prompt = flatten(&ends);
    if fits(&prompt, max_chars) {
        return prompt;
    }
    trim_to_systems_and_last(systems, last, max_chars)
}

fn trim_to_systems_and_last(systems: &[Message], tail: &[Message], max_chars: usize) -> String {
    let mut kept = systems.to_vec();
    kept.extend(tail.last().cloned());
    let prompt = flatten(&kept);
    if fits(&prompt, max_chars) {
        prompt
    } else {
        tail.last().map(|m| m.text.clone()).unwrap_or_default()
    }
}

fn fits(prompt: &str, max_chars: usize) -> bool {
    prompt.chars().count() <= max_chars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(t: &str) -> Message {
        Message::new(Role::User, t)
    }
    fn a(t: &str) -> Message {
        Message::new(Role::Assistant, t)
    }
    fn s(t: &str) -> Message {
        Message::new(Role::System, t)
    }

    #[test]
    fn empty_conversation_is_empty_prompt() {
        assert_eq!(flatten(&[]), "");
    }

    #[test]
    fn single_message_is_sent_unchanged() {
        let text = "  What is in this picture?\nBe brief.  ";
        assert_eq!(flatten(&[u(text)]), text);
    }

    #[test]
    fn single_system_message_is_its_text_alone() {
        assert_eq!(flatten(&[s("be terse")]), "be terse");
    }

    #[test]
    fn several_messages_become_role_lines_and_final_assistant() {
        let msgs = [u("hi"), a("hello"), u("what is in this picture?")];
        assert_eq!(
            flatten(&msgs),
            "User: hi\nAssistant: hello\nUser: what is in this picture?\nAssistant:"
        );
    }

    #[test]
    fn roles_are_capitalised_including_system() {
        let msgs = [s("rules"), u("q")];
        assert_eq!(flatten(&msgs), "System: rules\nUser: q\nAssistant:");
    }

    #[test]
    fn blank_messages_are_skipped() {
        let msgs = [u("hi"), a("   \n\t"), a(""), u("again")];
        assert_eq!(flatten(&msgs), "User: hi\nUser: again\nAssistant:");
    }

    #[test]
    fn multi_line_text_is_kept_inside_its_line() {
        let msgs = [u("line one\nline two"), a("ok")];
        assert_eq!(
            flatten(&msgs),
            "User: line one\nline two\nAssistant: ok\nAssistant:"
        );
    }

    #[test]
    fn within_limit_nothing_is_trimmed() {
        let msgs = [u("hi"), a("hello"), u("bye")];
        assert_eq!(flatten_within(&msgs, 10_000), flatten(&msgs));
    }

    #[test]
    fn limit_counts_characters_not_bytes() {
        // 6 Cyrillic characters are 12 bytes.
        let msgs = [u("привет")];
        assert_eq!(flatten_within(&msgs, 6), "привет");
    }

    #[test]
    fn long_history_keeps_first_three_and_last_three() {
        let msgs: Vec<Message> = (0..10)
            .map(|i| {
                if i % 2 == 0 {
                    u(&format!("q{i}"))
                } else {
                    a(&format!("a{i}"))
                }
            })
            .collect();
        let full = flatten(&msgs);
        let trimmed = flatten_within(&msgs, full.chars().count() - 1);
        assert_eq!(
            trimmed,
            "User: q0\nAssistant: a1\nUser: q2\nAssistant: a7\nUser: q8\nAssistant: a9\nAssistant:"
        );
    }

    #[test]
    fn then_system_messages_and_the_last_one() {
        let big = "x".repeat(200);
        let msgs = vec![
            s("sys"),
            u(&big),
            a(&big),
            u(&big),
            a(&big),
            u(&big),
            a(&big),
            u("last"),
        ];
        let out = flatten_within(&msgs, 100);
        assert_eq!(out, "System: sys\nUser: last\nAssistant:");
    }

    #[test]
    fn short_history_skips_the_first_three_last_three_step() {
        // Six messages or fewer: the first step does not apply, the second does.
        let big = "y".repeat(100);
        let msgs = vec![s("sys"), u(&big), a(&big), u("last")];
        assert_eq!(
            flatten_within(&msgs, 50),
            "System: sys\nUser: last\nAssistant:"
        );
    }

    #[test]
    fn finally_the_last_message_alone() {
        let big = "z".repeat(300);
        let msgs = vec![s(&big), u("a"), a("b"), u("the question")];
        assert_eq!(flatten_within(&msgs, 20), "the question");
    }

    #[test]
    fn two_messages_skip_the_system_step() {
        // With two messages the reference goes straight to the last message.
        let msgs = vec![s(&"s".repeat(50)), u("q")];
        assert_eq!(flatten_within(&msgs, 10), "q");
    }

    #[test]
    fn last_message_alone_may_still_exceed_the_limit() {
        let long = "w".repeat(50);
        let msgs = vec![u("a"), a("b"), u(&long)];
        assert_eq!(flatten_within(&msgs, 10), long);
    }
}
