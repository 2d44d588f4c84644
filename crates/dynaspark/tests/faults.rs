//! The fault suite: every way the fake server (and a bare socket) can fail, through the
//! real client with retries on tiny delays. Each test checks the error's code and words,
//! how many attempts the server saw, and the progress events in order.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynaspark::{
    Answer, Client, ClientConfig, Error, ErrorCode, Image, Progress, Request, RetryPolicy, Timeouts,
};
use fake_dynaspark::{Behaviour, FakeServer, SocketFault, SocketFaultServer};
use tokio_util::sync::CancellationToken;

/// Retries on millisecond waits, so a test never sleeps for real.
fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(60),
    }
}

fn client(endpoint: &str, retry: RetryPolicy) -> Client {
    let mut config = ClientConfig::new(endpoint).unwrap();
    config.retry = retry;
    Client::new(config).unwrap()
}

fn question() -> Request {
    Request {
        prompt: "what is this?".into(),
        model: "gemini-1.5-flash".into(),
        image: None,
    }
}

/// "Sent" means handed to the OS, whose send buffer takes the first megabytes at once
/// (up to tcp_wmem's maximum): an upload meant to be watched must be well beyond that.
fn beyond_send_buffer() -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(4 << 20);
    (8 << 20).max(2 * wmem_max + (2 << 20))
}

/// A PNG signature followed by `len` filler bytes.
fn big_png(len: usize) -> Image {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 0x5a);
    Image::new("big.png", bytes).unwrap()
}

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Progress>>>);

impl Events {
    fn push(&self, p: Progress) {
        self.0.lock().unwrap().push(p);
    }
    fn all(&self) -> Vec<Progress> {
        self.0.lock().unwrap().clone()
    }
}

async fn ask(client: &Client, request: &Request) -> (Result<Answer, Error>, Vec<Progress>) {
    let events = Events::default();
    let sink = events.clone();
    let result = client
        .ask_with(request, &CancellationToken::new(), move |p| sink.push(p))
        .await;
    (result, events.all())
}

/// The events with each run of `uploading` folded into one word, after checking the
/// run counts up and ends at the whole body.
fn outline(events: &[Progress]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<(u64, u64)> = Vec::new();
    let close_run = |run: &mut Vec<(u64, u64)>| {
        if let Some(&(last, total)) = run.last() {
            assert!(run.windows(2).all(|w| w[0].0 < w[1].0), "{run:?}");
            assert_eq!(last, total, "an upload run ends at the whole body: {run:?}");
            run.clear();
        }
    };
    for e in events {
        match e {
            Progress::Uploading { sent, total } => {
                if run.is_empty() {
                    out.push("upload".into());
                }
                run.push((*sent, *total));
                continue;
            }
            Progress::Waiting { attempt } => {
                close_run(&mut run);
                out.push(format!("waiting {attempt}"));
            }
            Progress::Retrying {
                attempt, reason, ..
            } => {
                close_run(&mut run);
                out.push(format!("retry {attempt} {reason}"));
            }
        }
    }
    close_run(&mut run);
    out
}

/// `retry N reason, waiting N` for each attempt after the first. The text question's
/// body leaves in one piece: no upload is reported, and the first attempt's wait goes
/// without saying.
fn attempts_outline(attempts: u32, reason: &str) -> Vec<String> {
    let mut out = Vec::new();
    for a in 2..=attempts {
        out.push(format!("retry {a} {reason}"));
        out.push(format!("waiting {a}"));
    }
    out
}

#[tokio::test]
async fn html_502_is_retried_then_shown_without_html() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::BadGatewayHtml);
    let (result, events) = ask(&client(&server.endpoint(), quick(3)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerUnavailable);
    assert!(
        err.to_string().contains("down or waking up (HTTP 502)"),
        "{err}"
    );
    assert!(!err.to_string().contains('<'), "{err}");
    assert!(err.details().unwrap().contains("<!DOCTYPE html>"));
    assert_eq!(server.requests().len(), 3);
    assert_eq!(outline(&events), attempts_outline(3, "server_unavailable"));
}

#[tokio::test]
async fn rate_limit_with_retry_after_seconds_waits_then_succeeds() {
    let server = FakeServer::start_local().await;
    server.enqueue([
        Behaviour::RateLimited {
            retry_after: Some("0".into()),
        },
        Behaviour::Answer { text: "ok".into() },
    ]);
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let answer = result.unwrap();
    assert_eq!((answer.text.as_str(), answer.attempts), ("ok", 2));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(outline(&events), attempts_outline(2, "rate_limited"));
    assert!(events.contains(&Progress::Retrying {
        attempt: 2,
        in_secs: 0,
        reason: "rate_limited"
    }));
}

#[tokio::test]
async fn rate_limit_longer_than_the_cap_is_shown_at_once() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::RateLimited {
        retry_after: Some("120".into()),
    });
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.to_string().contains("Wait 120 s"), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(outline(&events), attempts_outline(1, ""));
}

#[tokio::test]
async fn rate_limit_with_an_http_date_is_honoured() {
    let server = FakeServer::start_local().await;
    // A date already past: wait nothing, then try again.
    server.enqueue([
        Behaviour::RateLimited {
            retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        },
        Behaviour::Echo,
    ]);
    let c = client(&server.endpoint(), quick(4));
    let (result, events) = ask(&c, &question()).await;
    assert_eq!(result.unwrap().attempts, 2);
    assert_eq!(outline(&events), attempts_outline(2, "rate_limited"));

    // An hour ahead: beyond the cap, so the person is told how long.
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    server.enqueue([Behaviour::RateLimited {
        retry_after: Some(httpdate::fmt_http_date(later)),
    }]);
    let (result, events) = ask(&c, &question()).await;
    let err = result.unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(wait > Duration::from_secs(3500), "{wait:?}");
    assert!(err.to_string().contains("Wait 35"), "{err}");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(outline(&events), attempts_outline(1, ""));
}

#[tokio::test]
async fn unavailable_twice_then_an_answer() {
    let server = FakeServer::start_local().await;
    server.enqueue([Behaviour::FailTimes {
        times: 2,
        failure: Box::new(Behaviour::Unavailable),
        then: Box::new(Behaviour::Answer {
            text: "awake".into(),
        }),
    }]);
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let answer = result.unwrap();
    assert_eq!((answer.text.as_str(), answer.attempts), ("awake", 3));
    assert_eq!(server.requests().len(), 3);
    assert_eq!(outline(&events), attempts_outline(3, "server_unavailable"));
    // Every attempt sent the same question.
    let prompts: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.part("user_input").unwrap().text.clone())
        .collect();
    assert!(prompts
        .iter()
        .all(|p| p.as_deref() == Some("what is this?")));
}

#[tokio::test]
async fn unavailable_with_retry_after_is_honoured_up_to_the_cap() {
    let server = FakeServer::start_local().await;
    server.enqueue([
        Behaviour::UnavailableRetryAfter {
            retry_after: "0".into(),
        },
        Behaviour::Echo,
        Behaviour::UnavailableRetryAfter {
            retry_after: "3600".into(),
        },
    ]);
    let c = client(&server.endpoint(), quick(4));
    let (result, events) = ask(&c, &question()).await;
    assert_eq!(result.unwrap().attempts, 2);
    assert!(events.contains(&Progress::Retrying {
        attempt: 2,
        in_secs: 0,
        reason: "server_unavailable"
    }));
    let (result, _) = ask(&c, &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerUnavailable);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn invalid_json_is_not_retried() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::InvalidJson);
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
    assert!(err.to_string().contains("the reply is not JSON"), "{err}");
    assert!(err.details().unwrap().contains("unterminated"));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(outline(&events), attempts_outline(1, ""));
}

#[tokio::test]
async fn missing_response_is_not_retried() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::MissingResponse);
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
    assert!(err.to_string().contains("no \"response\" text"), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(outline(&events), attempts_outline(1, ""));
}

#[tokio::test]
async fn reset_mid_body_says_so_in_words_and_is_not_retried() {
    let server = SocketFaultServer::start(vec![SocketFault::ResetMidBody]).await;
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
    assert_eq!(
        err.to_string(),
        "The connection to 127.0.0.1 was cut off before the whole answer arrived. Try again."
    );
    // The library's account goes to the details view only.
    let details = err.details().unwrap();
    assert!(details.contains("error"), "{details}");
    assert!(!err.to_string().contains(&details));
    assert_eq!(server.connections(), 1);
    assert_eq!(outline(&events), attempts_outline(1, ""));

    // The framework's own abort (a body stream that fails) reads the same.
    let fake = FakeServer::start_local().await;
    fake.set_fallback(Behaviour::CloseMidBody);
    let (result, _) = ask(&client(&fake.endpoint(), quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
    assert!(
        err.to_string().contains("cut off before the whole answer"),
        "{err} {:?}",
        err.details()
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn reset_before_the_answer_is_retried() {
    let server = SocketFaultServer::start(vec![
        SocketFault::ResetBeforeAnswer,
        SocketFault::ResetBeforeAnswer,
        SocketFault::Answer("after two resets".into()),
    ])
    .await;
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let answer = result.unwrap();
    assert_eq!(answer.text, "after two resets");
    assert_eq!(answer.attempts, 3);
    assert_eq!((server.connections(), server.requests()), (3, 3));
    assert_eq!(outline(&events), attempts_outline(3, "network"));

    let always = SocketFaultServer::start(vec![SocketFault::ResetBeforeAnswer]).await;
    let (result, _) = ask(&client(&always.endpoint(), quick(3)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network);
    assert_eq!(
        err.to_string(),
        "The connection to 127.0.0.1 was cut off before the answer arrived. Try again."
    );
    assert_eq!(always.connections(), 3);
}

#[tokio::test]
async fn a_stall_past_the_timeout_is_not_retried() {
    let mut config = ClientConfig::new("http://127.0.0.1:1/").unwrap();
    config.retry = quick(4);
    config.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        total: Duration::from_millis(400),
    };
    let fake = FakeServer::start_local().await;
    fake.set_fallback(Behaviour::Delay {
        ms: 5_000,
        then: Box::new(Behaviour::Echo),
    });
    let socket = SocketFaultServer::start(vec![SocketFault::Stall]).await;
    for (endpoint, seen) in [
        (
            fake.endpoint(),
            Box::new(|| fake.requests().len()) as Box<dyn Fn() -> usize>,
        ),
        (socket.endpoint(), Box::new(|| socket.connections())),
    ] {
        config.endpoint = endpoint.parse().unwrap();
        let started = Instant::now();
        let (result, events) = ask(&Client::new(config.clone()).unwrap(), &question()).await;
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
        assert!(err.to_string().starts_with("No answer within"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "gave up at the timeout"
        );
        assert_eq!(seen(), 1, "{endpoint}");
        assert_eq!(outline(&events), attempts_outline(1, ""));
    }
}

#[tokio::test]
async fn a_50_mb_answer_is_refused_without_reading_it_all() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::LargeBody {
        bytes: 50 * 1024 * 1024,
    });
    let started = Instant::now();
    let (result, events) = ask(&client(&server.endpoint(), quick(4)), &question()).await;
    let elapsed = started.elapsed();
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResponseTooLarge);
    assert_eq!(
        err.to_string(),
        "The answer was larger than 16 MiB and was not read."
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(outline(&events), attempts_outline(1, ""));
    eprintln!("50 MB answer refused after {} ms", elapsed.as_millis());
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let refused = fake_dynaspark::RefusedPort::new().unwrap();
    let port = refused.port;
    let endpoint = format!("http://127.0.0.1:{port}/generate_response");
    let (result, events) = ask(&client(&endpoint, quick(3)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connect);
    assert_eq!(
        err.to_string(),
        "Could not reach 127.0.0.1: nothing accepted the connection. The address may be wrong or the server down."
    );
    assert!(err.details().unwrap().to_lowercase().contains("refused"));
    // Nothing was uploaded: no `uploading` or `waiting`, only the retries.
    assert_eq!(outline(&events), ["retry 2 connect", "retry 3 connect"]);
}

#[tokio::test]
async fn an_unknown_host_is_not_retried() {
    let endpoint = "http://no-such-host.invalid/generate_response";
    let (result, events) = ask(&client(endpoint, quick(4)), &question()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connect, "{err}");
    assert_eq!(
        err.to_string(),
        "Could not find no-such-host.invalid: the name does not resolve. Check the address and your internet connection."
    );
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn upload_progress_counts_the_real_body_and_is_throttled() {
    let server = SocketFaultServer::start(vec![SocketFault::ReadSlowly("read".into())]).await;
    let size = beyond_send_buffer();
    let request = Request {
        image: Some(big_png(size)),
        ..question()
    };
    let started = Instant::now();
    let (result, events) = ask(&client(&server.endpoint(), quick(1)), &request).await;
    assert_eq!(result.unwrap().text, "read");
    let uploads: Vec<(u64, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Uploading { sent, total } => Some((*sent, *total)),
            _ => None,
        })
        .collect();
    let total = uploads[0].1;
    assert!(total > size as u64 && total < size as u64 + 1024, "{total}");
    assert!(uploads.iter().all(|&(_, t)| t == total));
    // Seen while it went: the socket buffers take the first megabytes at once, then
    // the slow reader paces the rest.
    assert!(uploads.len() >= 3, "{uploads:?}");
    assert!(uploads.len() <= 102, "{}", uploads.len());
    assert_eq!(outline(&events), ["upload", "waiting 1"]);
    eprintln!(
        "{} MiB upload to a slow reader: {} uploading events in {} ms, first at {} bytes",
        size >> 20,
        uploads.len(),
        started.elapsed().as_millis(),
        uploads[0].0
    );
}

/// Runs `ask_with` in the background; the receiver gets each progress event.
fn spawn_ask(
    client: Client,
    request: Request,
    cancel: CancellationToken,
) -> (
    tokio::task::JoinHandle<Result<Answer, Error>>,
    tokio::sync::mpsc::UnboundedReceiver<Progress>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        client
            .ask_with(&request, &cancel, move |p| {
                let _ = tx.send(p);
            })
            .await
    });
    (task, rx)
}

/// Cancels when `trigger` matches an event; returns how long the ask took to stop.
async fn cancel_when(
    client: Client,
    request: Request,
    trigger: impl Fn(&Progress) -> bool,
) -> (Error, Vec<Progress>, Duration) {
    let cancel = CancellationToken::new();
    let (task, mut rx) = spawn_ask(client, request, cancel.clone());
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the trigger event comes")
            .expect("the ask is still running");
        let hit = trigger(&event);
        seen.push(event);
        if hit {
            break;
        }
    }
    let cancelled_at = Instant::now();
    cancel.cancel();
    let err = task.await.unwrap().unwrap_err();
    (err, seen, cancelled_at.elapsed())
}

#[tokio::test]
async fn cancel_stops_an_upload_at_once() {
    let server = SocketFaultServer::start(vec![SocketFault::NeverRead]).await;
    let request = Request {
        image: Some(big_png(beyond_send_buffer())),
        ..question()
    };
    let (err, seen, took) = cancel_when(client(&server.endpoint(), quick(4)), request, |e| {
        matches!(e, Progress::Uploading { .. })
    })
    .await;
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(took < Duration::from_secs(1), "{took:?}");
    match seen.last() {
        Some(Progress::Uploading { sent, total }) => assert!(sent < total),
        other => panic!("{other:?}"),
    }
    eprintln!("cancel during upload returned in {} ms", took.as_millis());
}

#[tokio::test]
async fn cancel_stops_a_retry_after_wait_at_once() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::UnavailableRetryAfter {
        retry_after: "50".into(),
    });
    let (err, seen, took) = cancel_when(
        client(&server.endpoint(), RetryPolicy::default()),
        question(),
        |e| matches!(e, Progress::Retrying { .. }),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(
        seen.last(),
        Some(&Progress::Retrying {
            attempt: 2,
            in_secs: 50,
            reason: "server_unavailable"
        })
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn cancel_stops_a_backoff_at_once() {
    let server = FakeServer::start_local().await;
    server.set_fallback(Behaviour::BadGatewayHtml);
    let slow = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(30),
        max_retry_after: Duration::from_secs(60),
    };
    let (err, _, took) = cancel_when(client(&server.endpoint(), slow), question(), |e| {
        matches!(e, Progress::Retrying { .. })
    })
    .await;
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(server.requests().len() <= 2);
}
