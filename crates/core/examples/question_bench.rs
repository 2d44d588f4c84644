//! What the history costs a question, as `send_message` uses it: start a conversation
//! with the question, read the prompt context, save a short Markdown answer and read the
//! summary; beside rendering that answer alone. `cargo run --release -p dynaspark-core
//! --example question_bench [questions] [history.sqlite3]`: with a history (a copy of it
//! is used), the same on top of it, as on a heavy user's (bench/history-gen makes one).

use std::time::Instant;

use dynaspark::Role;
use dynaspark_core::{render_markdown, History, NewMessage};

const ANSWER: &str = "The picture shows **a red bicycle** leaning against a brick wall.\n\n\
- The frame is steel, with a `700c` wheel\n- A basket hangs on the handlebars\n\n\
It looks like a [city bike](https://example.com/bikes).";

fn per(n: usize, f: impl FnMut(usize)) -> f64 {
    let t0 = Instant::now();
    (0..n).for_each(f);
    t0.elapsed().as_secs_f64() * 1000.0 / n as f64
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("history.sqlite3");
    if let Some(from) = std::env::args().nth(2) {
        std::fs::copy(from, &path).expect("the history is copied");
    }
    let mut h = History::open(&path).expect("history").history;
    let message = |role, text: &str| NewMessage {
        role,
        text: text.into(),
        image: None,
        model: Some("gemini-2.0-flash".into()),
    };
    let mut ids = Vec::new();
    // A first round, not counted: SQLite's cache of the file's pages fills.
    let warm = per(n, |i| {
        let (c, _) = h
            .start(message(Role::User, &format!("Warm-up {i}")))
            .expect("the question is saved");
        h.add_message(c.id, message(Role::Assistant, ANSWER))
            .expect("the answer is saved");
    });
    let start = per(n, |i| {
        let (c, _) = h
            .start(message(Role::User, &format!("Question {i}: what is this?")))
            .expect("the question is saved");
        ids.push(c.id);
    });
    let context = per(n, |i| {
        h.prompt_context(ids[i], 100_000, None)
            .expect("the prompt context");
    });
    let answer = per(n, |i| {
        h.add_message(ids[i], message(Role::Assistant, ANSWER))
            .expect("the answer is saved");
        h.summary(ids[i]).expect("the summary");
    });
    let render = per(n, |_| {
        render_markdown(ANSWER);
    });
    println!(
        "per question (ms, mean of {n}; warm-up {warm:.3}): start {start:.3}, prompt context {context:.3}, \
         answer + summary {answer:.3} (of which rendering {render:.3})"
    );
}
