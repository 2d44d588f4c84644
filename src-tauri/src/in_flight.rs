//! The questions waiting for an answer: at most one per conversation, each with a request
//! id (it ties the UI's error to its log lines) and a cancel token. A cancel frees the
//! conversation at once; a finishing question removes its own entry and never a newer one.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

use crate::error::IpcError;

/// Every question's number; tells two questions of one conversation apart.
static NEXT: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
pub struct InFlight {
    questions: Mutex<HashMap<i64, Entry>>,
}

struct Entry {
    serial: u64,
    token: CancellationToken,
}

/// One question in flight; dropping it (however `ask` ends) removes its entry, if the
/// entry is still its own.
pub struct Question<'a> {
    in_flight: &'a InFlight,
    conversation_id: i64,
    serial: u64,
    request_id: String,
    token: CancellationToken,
}

/// A question's request id and cancel token before it is registered: the question of a
/// new conversation is asked while the conversation is being saved, and registered once
/// it has its id.
pub struct Ticket {
    serial: u64,
    request_id: String,
    token: CancellationToken,
}

impl Ticket {
    pub fn new() -> Self {
        let serial = NEXT.fetch_add(1, Ordering::Relaxed);
        Self {
            serial,
            request_id: request_id(serial),
            token: CancellationToken::new(),
        }
    }

    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl InFlight {
    /// Registers a question for the conversation, or refuses with `busy` while one is
    /// waiting there already (the UI refuses too, but the backend must not rely on it).
    pub fn begin(&self, conversation_id: i64) -> Result<Question<'_>, IpcError> {
        self.register(conversation_id, Ticket::new())
    }

    /// `begin` for a question whose ticket was made before (see [`Ticket`]).
    pub fn register(&self, conversation_id: i64, ticket: Ticket) -> Result<Question<'_>, IpcError> {
        let mut questions = self.lock();
        if questions.contains_key(&conversation_id) {
            return Err(IpcError::new(
                "busy",
                "This conversation is already waiting for an answer.",
            ));
        }
        questions.insert(
            conversation_id,
            Entry {
                serial: ticket.serial,
                token: ticket.token.clone(),
            },
        );
        Ok(Question {
            in_flight: self,
            conversation_id,
            serial: ticket.serial,
            request_id: ticket.request_id,
            token: ticket.token,
        })
    }

    /// Stops the question in flight in a conversation, if any, and frees the
    /// conversation for the next one. `true` when there was one.
    pub fn cancel(&self, conversation_id: i64) -> bool {
        match self.lock().remove(&conversation_id) {
            Some(entry) => {
                tracing::info!(conversation_id, "cancelling the question in flight");
                entry.token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn cancel_all(&self) {
        for (_, entry) in self.lock().drain() {
            entry.token.cancel();
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        crate::sync::lock(&self.questions)
    }
}

impl Question<'_> {
    /// Eight hex digits, in every log line of this question and in its error's details.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for Question<'_> {
    fn drop(&mut self) {
        let mut questions = self.in_flight.lock();
        if questions
            .get(&self.conversation_id)
            .is_some_and(|e| e.serial == self.serial)
        {
            questions.remove(&self.conversation_id);
        }
    }
}

/// Looks random, so ids from different runs rarely match in a shared log.
fn request_id(serial: u64) -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(serial);
    format!("{:08x}", hasher.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_question_in_a_conversation_is_refused() {
        let in_flight = InFlight::default();
        let first = in_flight.begin(1).unwrap();
        let refused = in_flight.begin(1).err().unwrap();
        assert_eq!(refused.code, "busy");
        // Other conversations are free.
        let other = in_flight.begin(2).unwrap();
        drop(first);
        drop(other);
        assert!(in_flight.begin(1).is_ok());
    }

    #[test]
    fn a_finishing_question_leaves_a_newer_one_in_place() {
        let in_flight = InFlight::default();
        let old = in_flight.begin(7).unwrap();
        assert!(in_flight.cancel(7));
        assert!(old.token().is_cancelled());
        let new = in_flight.begin(7).expect("a cancel frees the conversation");
        drop(old);
        // The newer question is still registered: it can be cancelled and blocks a third.
        assert_eq!(in_flight.begin(7).err().unwrap().code, "busy");
        assert!(in_flight.cancel(7));
        assert!(new.token().is_cancelled());
        assert!(!in_flight.cancel(7));
    }

    #[test]
    fn cancel_all_stops_every_question() {
        let in_flight = InFlight::default();
        let a = in_flight.begin(1).unwrap();
        let b = in_flight.begin(2).unwrap();
        in_flight.cancel_all();
        assert!(a.token().is_cancelled() && b.token().is_cancelled());
        assert!(!in_flight.cancel(1));
    }

    #[test]
    fn request_ids_are_eight_hex_digits_and_differ() {
        let in_flight = InFlight::default();
        let a = in_flight.begin(1).unwrap();
        let b = in_flight.begin(2).unwrap();
        for id in [a.request_id(), b.request_id()] {
            assert_eq!(id.len(), 8, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        }
        assert_ne!(a.request_id(), b.request_id());
    }
}
