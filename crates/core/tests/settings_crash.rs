//! A process saving settings in a loop is killed with SIGKILL at random moments, round
//! after round, on one settings file. After every kill the file is whole: it parses,
//! loads without being moved aside or repaired, and holds one of the saves the writer
//! made (never a mix, never empty).
//!
//! The writer is this same test binary, started again with `DS_SETTINGS_WRITER` set.

#![cfg(unix)]
// Test helpers unwrap like the tests do: a setup that fails should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use dynaspark_core::{Settings, SETTINGS_FILE};

mod support;
use support::Rng;

const ROUNDS: u64 = 40;
const WRITER_ENV: &str = "DS_SETTINGS_WRITER";

fn settings_for(round: u64, n: u64) -> Settings {
    Settings {
        model: format!("model-{round}-{n}"),
        // A file of some size, so a kill can land inside the write.
        models: (0..200).map(|i| format!("model-{round}-{n}-{i}")).collect(),
        connect_timeout_secs: 1 + n % 60,
        ..Settings::default()
    }
    .normalized()
}

/// The writer's side: saves until killed, printing a line after each save.
#[test]
fn settings_writer() {
    let Ok(path) = std::env::var(WRITER_ENV) else {
        return;
    };
    let round: u64 = std::env::var("DS_KILL_ROUND")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        settings_for(round, n).save(Path::new(&path)).expect("save");
        writeln!(out, "SAVED {n}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn killed_savers_never_leave_a_damaged_file() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    Settings::default().save(&path).unwrap();
    let mut rng = Rng::from_clock();
    let seed = rng.0;
    let mut saves = 0;
    let mut previous = Settings::default();
    for round in 0..ROUNDS {
        let after = Duration::from_millis(5 + rng.next() % 120);
        let lines = support::killed_after("settings_writer", &[(WRITER_ENV, &path)], round, after);
        // The first may share a line with libtest's "test settings_writer ... ".
        let acked: Vec<u64> = lines
            .iter()
            .filter_map(|l| l.split("SAVED ").nth(1).and_then(|n| n.parse().ok()))
            .collect();
        saves += acked.len();

        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("seed {seed}, round {round}: settings file gone: {e}"));
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| {
            panic!(
                "seed {seed}, round {round}: damaged settings file ({e}): {:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            )
        });
        let loaded = Settings::load(&path).unwrap();
        assert!(loaded.moved_aside.is_none(), "seed {seed}, round {round}");
        assert!(
            loaded.repairs.is_empty(),
            "seed {seed}, round {round}: {:?}",
            loaded.repairs
        );
        // One whole save: the last one acknowledged, the one after it (written, killed
        // before it said so), or the previous round's file if none finished.
        let candidates: Vec<Settings> = match acked.last() {
            Some(&n) => vec![settings_for(round, n), settings_for(round, n + 1)],
            None => vec![previous.clone(), settings_for(round, 0)],
        };
        assert!(
            candidates.contains(&loaded.settings),
            "seed {seed}, round {round}: the file holds {} after {:?}",
            loaded.settings.model,
            acked.last()
        );
        previous = loaded.settings;
    }
    assert!(
        saves > ROUNDS as usize,
        "seed {seed}: the writers got too little done to test anything: {saves} saves"
    );
    eprintln!(
        "{ROUNDS} settings writers killed after {saves} saves; the file was whole every time"
    );
}
