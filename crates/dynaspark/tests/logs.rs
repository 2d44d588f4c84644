//! No proxy password in the log, in errors or in reports. Its own test binary: the
//! subscriber is process-wide, which is the only reliable way to see every event.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use dynaspark::{Client, ClientConfig, ErrorCode, ProxyConfig, Request, RetryPolicy};
use fake_dynaspark::{FakeServer, HttpProxy, ProxyAuth, Socks5Proxy};
use tokio_util::sync::CancellationToken;

const USER: &str = "alice";

/// Collects everything `tracing` writes in this process.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_password_in_logs_errors_or_reports() {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = FakeServer::start_local().await;
    let auth = ProxyAuth {
        username: USER.into(),
        password: "the right one".into(),
    };
    let http = HttpProxy::start(Some(auth.clone())).await;
    let socks = Socks5Proxy::start(Some(auth)).await;
    let secret = "s3cret+p@ss:word";
    let mut texts = Vec::new();
    for url in [
        format!("http://{}", http.addr()),
        format!("socks5://{}", socks.addr()),
        // Inline, percent-encoded, as people paste them.
        format!("http://{USER}:s3cret%2Bp%40ss%3Aword@{}", http.addr()),
    ] {
        let inline = url.contains('@');
        let pass = (!inline).then_some(secret);
        let user = (!inline).then_some(USER);
        let mut config = ClientConfig::new(&server.endpoint()).unwrap();
        config.proxy = Some(ProxyConfig::new(&url, user, pass).unwrap());
        config.retry = RetryPolicy::none();
        let c = Client::new(config).unwrap();
        texts.push(format!("{:?}", c.config()));
        let question = Request {
            prompt: "q".into(),
            model: "m".into(),
            image: None,
        };
        let err = c
            .ask(&question, &CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ProxyAuth, "{url}: {err}");
        texts.push(format!("{err} {err:?} {:?}", err.details()));
        let r = c.test_proxy().await;
        texts.push(format!("{r:?} {}", serde_json::to_string(&r).unwrap()));
    }
    // And when the password is right and everything works.
    let good = HttpProxy::start(Some(ProxyAuth {
        username: USER.into(),
        password: secret.into(),
    }))
    .await;
    for url in [
        format!("http://{}", good.addr()),
        format!("http://{USER}:s3cret%2Bp%40ss%3Aword@{}", good.addr()),
    ] {
        let inline = url.contains('@');
        let mut config = ClientConfig::new(&server.endpoint()).unwrap();
        let (user, pass) = if inline {
            (None, None)
        } else {
            (Some(USER), Some(secret))
        };
        config.proxy = Some(ProxyConfig::new(&url, user, pass).unwrap());
        let c = Client::new(config).unwrap();
        let question = Request {
            prompt: "q".into(),
            model: "m".into(),
            image: None,
        };
        c.ask(&question, &CancellationToken::new()).await.unwrap();
        let r = c.test_proxy().await;
        assert!(r.service_answered, "{r:?}");
        texts.push(format!("{r:?}"));
    }
    // One connection per client: the question and the probe share it.
    assert_eq!(good.relayed(), 2);

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("answer received"), "{logged}");
    assert!(logged.contains("question failed"), "{logged}");
    texts.push(logged);
    for text in texts {
        for form in [secret, "s3cret%2Bp%40ss%3Aword", "s3cret"] {
            assert!(!text.contains(form), "{form} in {text}");
        }
    }
}
