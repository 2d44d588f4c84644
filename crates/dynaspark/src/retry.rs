//! When a failed question is tried again, and how long to wait first: exponential backoff
//! with full jitter, or the server's `Retry-After`. Waits on tokio time; never retries what cannot change.

use std::future::Future;
use std::time::Duration;

use crate::{ConnectionFault, Error, Progress};

/// Limits for automatic retries. The defaults ride out a cold start of the free
/// deployment (about a minute): seven waits whose upper bounds add up to two minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; `1` turns retries off.
    pub max_attempts: u32,
    /// Upper bound of the first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// Upper bound of any one backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured. A server asking for longer is not retried:
    /// the error (with its wait) goes to the person instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1`, or `None` when `error` (from attempt
    /// `attempt`) is final. `upload_finished`: the whole request body had been sent.
    /// `unit` is the jitter draw, in `[0, 1)`.
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        error: &Error,
        upload_finished: bool,
        unit: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = Some(self.backoff(attempt, unit));
        let transient = |fault: &ConnectionFault| {
            matches!(
                fault,
                ConnectionFault::Refused
                    | ConnectionFault::CutBeforeAnswer
                    | ConnectionFault::Other
            )
        };
        match error {
            Error::RateLimited {
                status: 429,
                retry_after: Some(wait),
                ..
            }
            | Error::ServerUnavailable {
                status: 503,
                retry_after: Some(wait),
                ..
            } => (*wait <= self.max_retry_after).then_some(*wait),
            Error::RateLimited { status: 429, .. }
            | Error::ServerUnavailable { .. }
            | Error::Status { status: 408, .. }
            | Error::ConnectTimeout { .. } => backoff,
            Error::Connect { fault, .. } | Error::Proxy { fault, .. } if transient(fault) => {
                backoff
            }
            Error::Network {
                fault: ConnectionFault::CutBeforeAnswer,
                ..
            } => backoff,
            // A timeout while still uploading may be a stalled connection; once the
            // question is sent, asking again only makes the server work twice.
            Error::Timeout { .. } if !upload_finished => backoff,
            _ => None,
        }
    }

    /// Full jitter: uniform in `[0, min(max_delay, base_delay * 2^(attempt-1)))`.
    fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let cap = self.base_delay.saturating_mul(factor).min(self.max_delay);
        cap.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Runs `attempt_fn(1)`, `attempt_fn(2)`, … until one succeeds or `policy` says stop,
/// reporting each wait as [`Progress::Retrying`]. `attempt_fn` returns its result and
/// whether its upload finished. Returns the value and the number of attempts made.
pub(crate) async fn run<T, F, Fut, J>(
    policy: &RetryPolicy,
    on_progress: &(dyn Fn(Progress) + Send + Sync),
    mut jitter: J,
    mut attempt_fn: F,
) -> Result<(T, u32), Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = (Result<T, Error>, bool)>,
    J: FnMut() -> f64,
{
    let mut attempt = 1;
    loop {
        let (result, upload_finished) = attempt_fn(attempt).await;
        let error = match result {
            Ok(value) => return Ok((value, attempt)),
            Err(e) => e,
        };
        let Some(delay) = policy.next_delay(attempt, &error, upload_finished, jitter()) else {
            return Err(error);
        };
        tracing::warn!(
            attempt,
            code = error.code().as_str(),
            error = %error,
            details = error.transport_details(),
            delay_ms = delay.as_millis() as u64,
            "attempt failed; trying again"
        );
        attempt += 1;
        on_progress(Progress::Retrying {
            attempt,
            in_secs: delay.as_secs() + u64::from(delay.subsec_nanos() > 0),
            reason: error.code().as_str(),
        });
        tokio::time::sleep(delay).await;
    }
}

/// A uniform draw in `[0, 1)` for jitter; `RandomState` is seeded per process and
/// stepped per call, which is all jitter needs.
pub(crate) fn jitter_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn unavailable(status: u16, retry_after: Option<u64>) -> Error {
        Error::ServerUnavailable {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
        }
    }

    fn rate_limited(status: u16, retry_after: Option<u64>) -> Error {
        Error::RateLimited {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
        }
    }

    fn status(status: u16) -> Error {
        Error::Status {
            status,
            message: String::new(),
            body: String::new(),
        }
    }

    fn net(fault: ConnectionFault) -> Error {
        Error::Network {
            host: "h".into(),
            fault,
            detail: String::new(),
        }
    }

    fn connect(fault: ConnectionFault) -> Error {
        Error::Connect {
            host: "h".into(),
            fault,
            detail: String::new(),
        }
    }

    const SECS: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn transient_failures_back_off_with_full_jitter() {
        let p = RetryPolicy::default();
        for e in [
            unavailable(502, None),
            unavailable(503, None),
            unavailable(504, None),
            rate_limited(429, None),
            status(408),
            Error::ConnectTimeout {
                host: "h".into(),
                timeout: SECS(1),
            },
            connect(ConnectionFault::Refused),
            connect(ConnectionFault::Other),
            net(ConnectionFault::CutBeforeAnswer),
            Error::Timeout { timeout: SECS(1) },
        ] {
            // The draw scales the cap: 0 waits nothing, just under 1 waits nearly the cap.
            assert_eq!(
                p.next_delay(1, &e, false, 0.0),
                Some(Duration::ZERO),
                "{e:?}"
            );
            assert_eq!(p.next_delay(1, &e, false, 0.5), Some(SECS(1)), "{e:?}");
        }
        let e = unavailable(502, None);
        let caps: Vec<_> = (1..8).map(|a| p.next_delay(a, &e, true, 1.0)).collect();
        let want = [2, 4, 8, 16, 30, 30, 30].map(|s| Some(SECS(s)));
        assert_eq!(caps, want);
        assert_eq!(
            p.next_delay(8, &e, true, 1.0),
            None,
            "max_attempts counts the first"
        );
    }

    #[test]
    fn the_default_policy_rides_out_a_cold_start() {
        let p = RetryPolicy::default();
        let e = unavailable(503, None);
        let total: Duration = (1..p.max_attempts)
            .filter_map(|a| p.next_delay(a, &e, true, 1.0))
            .sum();
        // Full jitter waits half the bounds on average: a minute, the cold start.
        assert!(total >= SECS(110), "{total:?}");
        assert!(p.max_retry_after >= SECS(60));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default();
        for e in [rate_limited(429, Some(12)), unavailable(503, Some(12))] {
            assert_eq!(p.next_delay(1, &e, true, 0.9), Some(SECS(12)), "{e:?}");
        }
        assert_eq!(
            p.next_delay(1, &rate_limited(429, Some(0)), true, 0.9),
            Some(Duration::ZERO)
        );
        for e in [rate_limited(429, Some(61)), unavailable(503, Some(3600))] {
            assert_eq!(p.next_delay(1, &e, true, 0.9), None, "{e:?}");
        }
        // Only 503 is read for Retry-After among the gateway errors.
        assert_eq!(
            p.next_delay(1, &unavailable(502, Some(3600)), true, 0.5),
            Some(SECS(1))
        );
    }

    #[test]
    fn failures_that_will_not_change_are_final() {
        let p = RetryPolicy::default();
        for e in [
            status(400),
            status(404),
            status(500),
            rate_limited(402, None),
            Error::Cloudflare {
                status: 403,
                body: String::new(),
            },
            Error::HtmlPage {
                status: 404,
                body: String::new(),
            },
            Error::UnexpectedResponse {
                status: 200,
                reason: "",
                body: String::new(),
            },
            Error::ResponseTooLarge { limit_mib: 16 },
            Error::NotAnImage { name: "x".into() },
            Error::Cancelled,
            Error::ProxyAuth {
                proxy: "p".into(),
                credentials_sent: true,
                detail: String::new(),
            },
            connect(ConnectionFault::HostNotFound),
            connect(ConnectionFault::Tls),
            net(ConnectionFault::CutMidAnswer),
        ] {
            assert_eq!(p.next_delay(1, &e, false, 0.5), None, "{e:?}");
        }
        let timeout = Error::Timeout { timeout: SECS(1) };
        assert_eq!(p.next_delay(1, &timeout, true, 0.5), None);
        assert_eq!(
            RetryPolicy::none().next_delay(1, &status(408), false, 0.5),
            None
        );
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let p = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.next_delay(40, &unavailable(502, None), true, 1.0),
            Some(SECS(30))
        );
    }

    #[test]
    fn jitter_draws_are_in_range_and_vary() {
        let draws: Vec<f64> = (0..64).map(|_| jitter_unit()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let distinct: std::collections::HashSet<u64> = draws.iter().map(|d| d.to_bits()).collect();
        assert!(distinct.len() > 60);
    }

    /// Runs `script` through [`run`] on paused tokio time; returns the outcome, the
    /// progress reported and how much (virtual) time passed.
    async fn run_script(
        policy: RetryPolicy,
        script: Vec<Result<&'static str, Error>>,
    ) -> (Result<(&'static str, u32), Error>, Vec<Progress>, Duration) {
        let events = Mutex::new(Vec::new());
        let script = Mutex::new(std::collections::VecDeque::from(script));
        let started = tokio::time::Instant::now();
        let on_progress = |p: Progress| events.lock().unwrap().push(p);
        let result = run(
            &policy,
            &on_progress,
            || 1.0,
            |_| {
                let next = script
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("script long enough");
                async move { (next, true) }
            },
        )
        .await;
        let elapsed = started.elapsed();
        (result, events.into_inner().unwrap(), elapsed)
    }

    #[tokio::test(start_paused = true)]
    async fn waits_exactly_what_retry_after_says() {
        let (result, events, elapsed) = run_script(
            RetryPolicy::default(),
            vec![Err(rate_limited(429, Some(12))), Ok("answer")],
        )
        .await;
        assert_eq!(result.unwrap(), ("answer", 2));
        assert_eq!(elapsed, SECS(12));
        assert_eq!(
            events,
            [Progress::Retrying {
                attempt: 2,
                in_secs: 12,
                reason: "rate_limited"
            }]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_then_gives_up_with_the_last_error() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1500),
            ..RetryPolicy::default()
        };
        let (result, events, elapsed) = run_script(
            policy,
            vec![
                Err(unavailable(502, None)),
                Err(unavailable(503, None)),
                Err(unavailable(504, None)),
            ],
        )
        .await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::ServerUnavailable { status: 504, .. }));
        // Draw 1.0 waits the whole cap: 1.5 s, then 3 s.
        assert_eq!(elapsed, Duration::from_millis(4500));
        let shown: Vec<(u32, u64)> = events
            .iter()
            .map(|e| match e {
                Progress::Retrying {
                    attempt, in_secs, ..
                } => (*attempt, *in_secs),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(shown, [(2, 2), (3, 3)], "seconds round up");
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_error_is_returned_at_once() {
        let (result, events, elapsed) =
            run_script(RetryPolicy::default(), vec![Err(status(400))]).await;
        assert_eq!(result.unwrap_err().code().as_str(), "http_status");
        assert!(events.is_empty());
        assert_eq!(elapsed, Duration::ZERO);
    }
}
