//! One app per data folder. The first start holds an exclusive lock on `instance.lock`
//! in the data folder and listens on a loopback port written in it; a second start
//! finds the lock taken, asks the first to come to the front, and exits, so two windows
//! never edit one history. Per data folder, not per user: a test run or a second
//! profile (`DYNASPARK_DATA_DIR`) is an app of its own, and never hands over to the
//! person's real one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

/// The lock file in the data folder; it also holds the first start's port.
pub const LOCK_FILE: &str = "instance.lock";
const FOCUS: &[u8] = b"focus\n";
const WAIT: Duration = Duration::from_secs(2);

/// What a start should do.
pub enum Claim {
    /// This is the only start: keep the guard for the life of the app.
    First(Guard),
    /// Another start has the data folder and was asked to come to the front.
    HandedOver,
}

/// Holds the lock (released by the system when the process ends, however it ends).
pub struct Guard {
    _lock: File,
}

/// Takes the data folder for this start, or hands over to the start that has it.
/// `on_focus` runs (on a thread of its own) each time a later start hands over.
pub fn claim(data_dir: &Path, on_focus: impl Fn() + Send + 'static) -> std::io::Result<Claim> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(LOCK_FILE);
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return hand_over(&mut lock).map(|()| Claim::HandedOver),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = listener.local_addr()?.port();
    lock.set_len(0)?;
    lock.write_all(port.to_string().as_bytes())?;
    lock.sync_all()?;
    std::thread::Builder::new()
        .name("single-instance".into())
        .spawn(move || listen(&listener, &on_focus))?;
    Ok(Claim::First(Guard { _lock: lock }))
}

fn listen(listener: &TcpListener, on_focus: &dyn Fn()) {
    for stream in listener.incoming().flatten() {
        let _ = stream.set_read_timeout(Some(WAIT));
        let mut line = Vec::new();
        let read = BufReader::new(&stream)
            .take(FOCUS.len() as u64)
            .read_until(b'\n', &mut line);
        if read.is_ok() && line == FOCUS {
            tracing::info!("another start handed over: bringing the window to the front");
            on_focus();
        }
    }
}

/// Asks the start holding `lock` to come to the front. Its port may not be written yet
/// when both start at once: read again for a moment.
fn hand_over(lock: &mut File) -> std::io::Result<()> {
    let mut last = None;
    for _ in 0..20 {
        let mut text = String::new();
        lock.seek(SeekFrom::Start(0))?;
        lock.read_to_string(&mut text)?;
        if let Ok(port) = text.trim().parse::<u16>() {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            match TcpStream::connect_timeout(&addr, WAIT).and_then(|mut s| s.write_all(FOCUS)) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("the running app wrote no port")))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_second_claim_hands_over_and_the_first_is_asked_to_the_front() {
        let dir = tempfile::tempdir().unwrap();
        let focused = Arc::new(AtomicUsize::new(0));
        let seen = focused.clone();
        let first = claim(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        assert!(matches!(first, Claim::First(_)));
        // In this process a second open file description of the same file is as good as
        // a second process: the lock belongs to the description.
        assert!(matches!(
            claim(dir.path(), || {}).unwrap(),
            Claim::HandedOver
        ));
        assert!(matches!(
            claim(dir.path(), || {}).unwrap(),
            Claim::HandedOver
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while focused.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(focused.load(Ordering::SeqCst), 2);

        // Once the first ends, the next start is the first again.
        drop(first);
        assert!(matches!(claim(dir.path(), || {}).unwrap(), Claim::First(_)));
    }

    #[test]
    fn another_data_folder_is_another_app() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let _first = claim(a.path(), || {}).unwrap();
        assert!(matches!(claim(b.path(), || {}).unwrap(), Claim::First(_)));
    }

    #[test]
    fn only_the_exact_word_brings_it_forward() {
        let dir = tempfile::tempdir().unwrap();
        let focused = Arc::new(AtomicUsize::new(0));
        let seen = focused.clone();
        let _first = claim(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        let port: u16 = std::fs::read_to_string(dir.path().join(LOCK_FILE))
            .unwrap()
            .parse()
            .unwrap();
        let mut other = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        other.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        drop(other);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(focused.load(Ordering::SeqCst), 0);
    }
}
