//! What a question is doing while the person waits, as plain serializable events.
//! Decides when an upload is worth reporting (throttled); never how it is shown.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// Reported by [`crate::Client::ask_with`], in this order for each attempt:
/// `uploading`… `waiting`, then `retrying` before the next attempt. A body the connection
/// takes in one piece (a text question, a small picture) is not reported: on a first
/// attempt nothing at all comes before the answer, after a `retrying` only `waiting`.
///
/// JSON: `{"type":"uploading","sent":65536,"total":4194304}`,
/// `{"type":"waiting","attempt":1}`,
/// `{"type":"retrying","attempt":2,"inSecs":4,"reason":"server_unavailable"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Progress {
    /// Request body bytes handed to the connection so far (headers not counted).
    Uploading { sent: u64, total: u64 },
    /// The whole question is sent; the server is thinking, or waking up.
    Waiting { attempt: u32 },
    /// Attempt `attempt` starts in `in_secs` (rounded up) because the previous one
    /// failed with the error code `reason`.
    #[serde(rename_all = "camelCase")]
    Retrying {
        attempt: u32,
        in_secs: u64,
        reason: &'static str,
    },
}

/// Least time between two `uploading` events.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// Turns the running count of bytes sent for one attempt into events: the first and
/// the last always, in between at most one per 1% of the body and per 50 ms; then
/// `waiting` once the body is all sent. A body the connection took in one piece has no
/// upload worth showing, and its `waiting` tells the page something only after a
/// `retrying` (a first attempt's pending answer already reads as waiting): a fast text
/// question costs the page no events but its answer.
pub(crate) struct UploadReporter<'a> {
    on_progress: &'a (dyn Fn(Progress) + Send + Sync),
    total: u64,
    attempt: u32,
    last: Option<(u64, Instant)>,
    finished: bool,
}

impl<'a> UploadReporter<'a> {
    pub(crate) fn new(
        on_progress: &'a (dyn Fn(Progress) + Send + Sync),
        total: u64,
        attempt: u32,
    ) -> Self {
        Self {
            on_progress,
            total,
            attempt,
            last: None,
            finished: false,
        }
    }

    pub(crate) fn sent(&mut self, sent: u64) {
        if self.finished || sent == 0 {
            return;
        }
        let now = Instant::now();
        let due = match self.last {
            None => sent < self.total,
            Some((last, _)) if sent == self.total => last != sent,
            Some((last, at)) => {
                sent.saturating_sub(last) >= (self.total / 100).max(1)
                    && now.duration_since(at) >= MIN_INTERVAL
            }
        };
        if due {
            (self.on_progress)(Progress::Uploading {
                sent,
                total: self.total,
            });
            self.last = Some((sent, now));
        }
        if sent >= self.total {
            self.finished = true;
            if self.last.is_some() || self.attempt > 1 {
                (self.on_progress)(Progress::Waiting {
                    attempt: self.attempt,
                });
            }
        }
    }

    /// Whether the whole body was handed over.
    pub(crate) fn finished(&self) -> bool {
        self.finished
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn json_shapes_are_stable() {
        let cases = [
            (
                Progress::Uploading { sent: 5, total: 10 },
                r#"{"type":"uploading","sent":5,"total":10}"#,
            ),
            (
                Progress::Waiting { attempt: 1 },
                r#"{"type":"waiting","attempt":1}"#,
            ),
            (
                Progress::Retrying {
                    attempt: 2,
                    in_secs: 14,
                    reason: "rate_limited",
                },
                r#"{"type":"retrying","attempt":2,"inSecs":14,"reason":"rate_limited"}"#,
            ),
        ];
        for (event, json) in cases {
            assert_eq!(serde_json::to_string(&event).unwrap(), json);
        }
    }

    fn collect(steps: &[(u64, u64)], total: u64) -> Vec<Progress> {
        let events = Mutex::new(Vec::new());
        let push = |p: Progress| events.lock().unwrap().push(p);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut r = UploadReporter::new(&push, total, 3);
            for &(sent, after_ms) in steps {
                tokio::time::advance(Duration::from_millis(after_ms)).await;
                r.sent(sent);
            }
        });
        events.into_inner().unwrap()
    }

    #[test]
    fn first_and_last_always_then_waiting() {
        let events = collect(&[(0, 0), (10, 0), (20, 0), (100, 0), (100, 0)], 100);
        assert_eq!(
            events,
            [
                Progress::Uploading {
                    sent: 10,
                    total: 100
                },
                Progress::Uploading {
                    sent: 100,
                    total: 100
                },
                Progress::Waiting { attempt: 3 },
            ]
        );
    }

    #[test]
    fn a_body_sent_in_one_piece_is_only_waited_for_after_a_retry() {
        let one_piece = |attempt| {
            let events = Mutex::new(Vec::new());
            let push = |p: Progress| events.lock().unwrap().push(p);
            let mut r = UploadReporter::new(&push, 100, attempt);
            r.sent(100);
            r.sent(100);
            assert!(r.finished());
            events.into_inner().unwrap()
        };
        assert_eq!(one_piece(1), []);
        assert_eq!(one_piece(2), [Progress::Waiting { attempt: 2 }]);
    }

    #[test]
    fn at_most_one_event_per_percent_and_per_50_ms() {
        let total = 10_000;
        // 1 byte every millisecond: 1% takes 100 ms, so the percent rules.
        let slow: Vec<(u64, u64)> = (1..=total).map(|s| (s, 1)).collect();
        let events = collect(&slow, total);
        let uploads = events.len() - 1;
        assert!((100..=101).contains(&uploads), "{uploads}");
        // 1% every millisecond: the 50 ms rule keeps it to one per 50 ms.
        let fast: Vec<(u64, u64)> = (1..=100).map(|i| (i * 100, 1)).collect();
        let events = collect(&fast, total);
        assert!(events.len() <= 4, "{events:?}");
        assert_eq!(events.last(), Some(&Progress::Waiting { attempt: 3 }));
        let sent: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                Progress::Uploading { sent, .. } => Some(*sent),
                _ => None,
            })
            .collect();
        assert!(sent.windows(2).all(|w| w[0] < w[1]), "{sent:?}");
        assert_eq!(sent.last(), Some(&total));
    }
}
