//! `history-gen`: writes a large, realistic, deterministic history (`history.sqlite3`)
//! through the app's own store, for the history benchmark (`make bench-history`).
//! It only writes a new database; it never touches an existing one.
//!
//! ```text
//! history-gen --dir <data dir> [--conversations 10000] [--messages 200000] [--big 5000]
//!             [--pinned 5] [--seed 1] [--now <epoch ms>]
//! ```
//! Prints what it wrote, how long it took, and the big conversation's id and message ids
//! (also saved as `history-gen.json` beside the database).

mod content;
mod rng;
mod timeline;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dynaspark::Role;
use dynaspark_core::{Anchor, ConversationRecord, History, MessageRecord};

use content::Theme;
use rng::Rng;
use timeline::{Planned, Shape};

/// Conversations written per `insert_records` call (one transaction each).
const BATCH: usize = 200;
const BIG_TITLE: &str = "Big conversation";
const MODELS: &[&str] = &["gemini-1.5-flash", "gemini-1.5-pro", "gemini-2.0-flash"];
/// Share of conversations held in Russian.
const RUSSIAN_PERCENT: u64 = 30;

struct Args {
    dir: PathBuf,
    shape: Shape,
    seed: u64,
    now: i64,
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1).collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("history-gen: {e}\n\nusage: history-gen --dir <data dir> [--conversations N] [--messages N] [--big N] [--pinned N] [--seed N] [--now <epoch ms>]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("history-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(argv: Vec<String>) -> Result<Args, String> {
    let mut dir = None;
    let mut shape = Shape {
        conversations: 10_000,
        messages: 200_000,
        big: 5_000,
        pinned: 5,
    };
    let mut seed = 1;
    let mut now = None;
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--conversations" => shape.conversations = number(value()?)? as usize,
            "--messages" => shape.messages = number(value()?)? as usize,
            "--big" => shape.big = number(value()?)? as usize,
            "--pinned" => shape.pinned = number(value()?)? as usize,
            "--seed" => seed = number(value()?)?,
            "--now" => now = Some(number(value()?)? as i64),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let dir = dir.ok_or("--dir is required")?;
    if shape.conversations == 0 {
        shape.messages = 0;
        shape.big = 0;
    }
    shape.big = shape.big.min(shape.messages);
    let regular = shape
        .conversations
        .saturating_sub(usize::from(shape.big > 0));
    if shape.messages < shape.big + regular {
        return Err(format!(
            "{} messages cannot fill {} conversations (each needs at least one besides the big one's {})",
            shape.messages, shape.conversations, shape.big
        ));
    }
    if regular == 0 && shape.messages > shape.big {
        return Err("with one conversation, --messages must equal --big".into());
    }
    let now = now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    });
    Ok(Args {
        dir,
        shape,
        seed,
        now,
    })
}

/// What was written, for the benchmark driver.
struct Written {
    conversations: usize,
    messages: usize,
    big: Option<(i64, i64, i64)>,
}

fn run(args: &Args) -> Result<(), String> {
    let db = args.dir.join("history.sqlite3");
    if db.exists() {
        return Err(format!(
            "{} already exists; give an empty --dir",
            db.display()
        ));
    }
    let started = Instant::now();
    let mut rng = Rng::new(args.seed);
    let planned = timeline::plan(&mut rng, &args.shape, args.now);
    let opened = History::open(&db).map_err(|e| format!("opening {}: {e}", db.display()))?;
    let mut history = opened.history;

    let mut written = Written {
        conversations: 0,
        messages: 0,
        big: None,
    };
    let mut big_id = None;
    for (n, batch) in planned.chunks(BATCH).enumerate() {
        let records: Vec<ConversationRecord> = batch.iter().map(record).collect();
        let ids = history
            .insert_records(&records)
            .map_err(|e| format!("writing batch {n}: {e}"))?;
        for ((p, r), id) in batch.iter().zip(&records).zip(ids) {
            written.conversations += 1;
            written.messages += r.messages.len();
            if p.big {
                big_id = id;
            }
        }
        if (n + 1) % 10 == 0 {
            eprintln!(
                "  {} conversations, {} messages, {:.1} s",
                written.conversations,
                written.messages,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(id) = big_id {
        let first = history
            .messages(id, Anchor::Oldest, 1)
            .map_err(|e| e.to_string())?;
        let last = history
            .messages(id, Anchor::Latest, 1)
            .map_err(|e| e.to_string())?;
        let (Some(f), Some(l)) = (first.messages.first(), last.messages.first()) else {
            return Err("the big conversation has no messages".into());
        };
        written.big = Some((id, f.id, l.id));
    }
    history.checkpoint().map_err(|e| e.to_string())?;
    drop(history);
    let seconds = started.elapsed().as_secs_f64();
    report(args, &db, &written, seconds)
}

/// The record for one planned conversation: questions and answers alternate.
fn record(p: &Planned) -> ConversationRecord {
    let mut rng = Rng::new(p.seed);
    let mut theme = Theme::random(&mut rng, RUSSIAN_PERCENT);
    let model = (*rng.pick(MODELS)).to_owned();
    let mut messages = Vec::with_capacity(p.times.len());
    for (i, &at) in p.times.iter().enumerate() {
        // The big conversation wanders from topic to topic and language to language.
        if p.big && i % 2 == 0 && rng.chance(5) {
            theme = Theme::random(&mut rng, RUSSIAN_PERCENT);
        }
        let (role, text) = if i % 2 == 0 {
            let len = 100 + (rng.unit().powi(2) * 500.0) as usize;
            (Role::User, theme.question(&mut rng, len))
        } else {
            let len = 300 + (rng.unit().powf(1.7) * 2700.0) as usize;
            (Role::Assistant, theme.answer(&mut rng, len))
        };
        messages.push(MessageRecord {
            role,
            text,
            image: None,
            model: Some(model.clone()),
            created_at: at,
            parent: None,
            hidden: false,
            selected: 0,
        });
    }
    let title = if p.big {
        BIG_TITLE.to_owned()
    } else {
        title_from(
            messages
                .first()
                .map(|m| m.text.as_str())
                .unwrap_or_default(),
        )
    };
    ConversationRecord {
        uid: String::new(),
        title,
        created_at: p.times.first().copied().unwrap_or_default(),
        updated_at: p.times.last().copied().unwrap_or_default(),
        pinned: p.pinned,
        messages,
    }
}

/// The first question's first sentence, as the app titles a conversation (60 characters).
fn title_from(question: &str) -> String {
    let first = question
        .split_inclusive(['?', '.'])
        .next()
        .unwrap_or(question)
        .trim();
    if first.chars().count() <= 60 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(60).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 30 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

fn report(args: &Args, db: &std::path::Path, w: &Written, seconds: f64) -> Result<(), String> {
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or_default();
    println!(
        "history-gen: {} conversations, {} messages -> {} ({:.1} MB) in {seconds:.1} s ({:.0} messages/s)",
        w.conversations,
        w.messages,
        db.display(),
        size as f64 / 1e6,
        w.messages as f64 / seconds.max(1e-9)
    );
    let big = match w.big {
        Some((id, first, last)) => {
            println!(
                "big conversation: id {id}, \"{BIG_TITLE}\", {} messages, ids {first}..={last}",
                args.shape.big
            );
            format!(
                "{{\"id\":{id},\"title\":\"{BIG_TITLE}\",\"messages\":{},\"firstMessageId\":{first},\"lastMessageId\":{last}}}",
                args.shape.big
            )
        }
        None => "null".to_owned(),
    };
    let json = format!(
        "{{\"conversations\":{},\"messages\":{},\"big\":{big},\"seed\":{},\"now\":{},\"seconds\":{seconds:.3},\"bytes\":{size}}}",
        w.conversations, w.messages, args.seed, args.now
    );
    let info = args.dir.join("history-gen.json");
    std::fs::write(&info, format!("{json}\n"))
        .map_err(|e| format!("writing {}: {e}", info.display()))?;
    println!("{json}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{parse, run, title_from};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn titles_are_cut_like_the_apps() {
        assert_eq!(
            title_from("How does WAL mode work in SQLite? I am on Linux."),
            "How does WAL mode work in SQLite?"
        );
        let long = title_from(&"word ".repeat(30));
        assert!(long.ends_with('…') && long.chars().count() <= 61);
    }

    #[test]
    fn refuses_impossible_shapes_and_writes_a_small_history() {
        assert!(parse(args(&["--conversations", "3"])).is_err());
        assert!(parse(args(&[
            "--dir",
            "x",
            "--conversations",
            "10",
            "--messages",
            "5"
        ]))
        .is_err());
        let dir = std::env::temp_dir().join(format!("history-gen-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let d = dir.to_string_lossy().to_string();
        let a = parse(args(&[
            "--dir",
            &d,
            "--conversations",
            "30",
            "--messages",
            "400",
            "--big",
            "100",
            "--now",
            "1780000000000",
        ]))
        .expect("valid");
        run(&a).expect("writes");
        let info = std::fs::read_to_string(dir.join("history-gen.json")).expect("info");
        assert!(
            info.contains("\"conversations\":30,\"messages\":400"),
            "{info}"
        );
        assert!(
            info.contains("\"messages\":100,\"firstMessageId\""),
            "{info}"
        );
        assert!(run(&a).is_err(), "never writes over an existing history");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
