//! What the integration tests share: a seeded generator and one SIGKILL round (start a
//! writer test of this same binary in a child process, kill it at a random moment,
//! return the lines it printed), a keyring that keeps nothing, and PNG's CRC-32.
//! Each test crate uses some of it.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use dynaspark_core::{KeyringResult, Password, SecretStore};

/// xorshift64: reproducible from the seed a failure prints.
pub struct Rng(pub u64);

impl Rng {
    /// Seeded from the clock (never 0).
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Self(nanos | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs the test named `writer` of this binary with `envs` set, lets it work for
/// `after`, kills it with SIGKILL and returns every line it printed.
pub fn killed_after(
    writer: &str,
    envs: &[(&str, &Path)],
    round: u64,
    after: Duration,
) -> Vec<String> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args(["--exact", writer, "--nocapture", "--test-threads=1"])
        .env("DS_KILL_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the writer starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    std::thread::sleep(after);
    child.kill().expect("SIGKILL");
    child.wait().expect("the killed writer is reaped");
    reader.join().expect("the reader thread")
}

/// A keyring that keeps nothing: for tests about the file, not the password.
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn get(&self, _: &str) -> KeyringResult<Option<Password>> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &Password) -> KeyringResult<()> {
        Ok(())
    }
    fn delete(&self, _: &str) -> KeyringResult<()> {
        Ok(())
    }
}

/// CRC-32 as PNG chunks use it (for hand-made test images).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
