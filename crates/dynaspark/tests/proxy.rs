//! Proxies started here: the exact `Proxy-Authorization` header, 407 in words, and the
//! "Test connection" report for each kind of proxy (no password in any of it).
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use dynaspark::{Client, ClientConfig, ErrorCode, ProxyConfig, ProxyReport, Request, RetryPolicy};
use fake_dynaspark::{FakeServer, HttpProxy, ProxyAuth, Socks5Proxy};
use tokio_util::sync::CancellationToken;

const USER: &str = "alice";
const PASSWORD: &str = "pa:ss+w@rd";

fn auth() -> ProxyAuth {
    ProxyAuth {
        username: USER.into(),
        password: PASSWORD.into(),
    }
}

fn client(server: &FakeServer, proxy_url: &str, user: Option<&str>, pass: Option<&str>) -> Client {
    let mut config = ClientConfig::new(&server.endpoint()).unwrap();
    config.proxy = Some(ProxyConfig::new(proxy_url, user, pass).unwrap());
    config.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    Client::new(config).unwrap()
}

fn question() -> Request {
    Request {
        prompt: "via a proxy".into(),
        model: "gemini-1.5-flash".into(),
        image: None,
    }
}

async fn ask(client: &Client) -> Result<dynaspark::Answer, dynaspark::Error> {
    client.ask(&question(), &CancellationToken::new()).await
}

#[tokio::test]
async fn proxy_authorization_goes_out_in_title_case() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start_case_sensitive(Some(auth())).await;
    let c = client(
        &server,
        &format!("http://{}", proxy.addr()),
        Some(USER),
        Some(PASSWORD),
    );
    let answer = ask(&c).await.unwrap();
    assert!(answer.text.contains("via a proxy"));
    assert_eq!((proxy.relayed(), proxy.refused()), (1, 0));

    let token = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let head = &proxy.heads()[0];
    assert!(
        head.contains(&format!("\r\nProxy-Authorization: Basic {token}\r\n")),
        "{head}"
    );
    for name in [
        "Content-Type",
        "Content-Length",
        "User-Agent",
        "X-Requested-With",
        "Host",
    ] {
        assert!(head.contains(&format!("\r\n{name}: ")), "{name} in {head}");
    }
    // The proxy keeps the credentials to itself.
    assert!(server.requests()[0].header("proxy-authorization").is_none());
}

#[tokio::test]
async fn a_407_reads_as_refused_credentials_and_is_not_retried() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start(Some(auth())).await;
    let url = format!("http://{}", proxy.addr());

    let err = ask(&client(&server, &url, Some(USER), Some("wrong-secret")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProxyAuth);
    assert_eq!(err.code().as_str(), "proxy_auth");
    assert_eq!(
        err.to_string(),
        "The proxy refused the credentials. Check the proxy user name and password in Settings."
    );
    assert!(!err.is_retryable());
    assert!(err.details().unwrap().contains("407"));
    assert_eq!(proxy.refused(), 1, "not retried");

    let err = ask(&client(&server, &url, None, None)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProxyAuth);
    assert_eq!(
        err.to_string(),
        "The proxy asks for a user name and password. Enter them in the proxy settings."
    );
    assert_eq!(proxy.refused(), 2);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_unreachable_proxy_is_named_in_words() {
    let server = FakeServer::start_local().await;
    let refused = fake_dynaspark::RefusedPort::new().unwrap();
    let port = refused.port;
    for (url, shown) in [
        (
            format!("http://127.0.0.1:{port}"),
            format!("http://127.0.0.1:{port}/"),
        ),
        (
            format!("socks5://127.0.0.1:{port}"),
            format!("socks5://127.0.0.1:{port}"),
        ),
    ] {
        let err = ask(&client(&server, &url, Some(USER), Some(PASSWORD)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Proxy, "{err}");
        assert_eq!(
            err.to_string(),
            format!("Could not reach the proxy {shown}. Check the proxy address in Settings, and that the proxy is running.")
        );
        let all = format!("{err} {err:?} {:?}", err.details());
        assert!(!all.contains("pa:ss") && !all.contains("pa%3Ass"), "{all}");
    }
}

async fn report(
    server: &FakeServer,
    url: &str,
    user: Option<&str>,
    pass: Option<&str>,
) -> ProxyReport {
    let r = client(server, url, user, pass).test_proxy().await;
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("pa:ss") && !json.contains("wrong-secret"),
        "{json}"
    );
    assert!(!format!("{r:?}").contains("pa:ss"));
    r
}

#[tokio::test]
async fn test_connection_through_an_open_http_proxy() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start(None).await;
    let r = report(&server, &format!("http://{}", proxy.addr()), None, None).await;
    assert!(r.reached && r.service_answered, "{r:?}");
    assert!(!r.asked_for_credentials && !r.credentials_refused);
    assert_eq!(r.status, Some(200));
    assert_eq!(
        r.message,
        format!(
            "The proxy http://{}/ was reached. It does not ask for a user name and password. Dynaspark answered through it (HTTP 200).",
            proxy.addr()
        )
    );
    assert!(server.requests().is_empty(), "no question was sent");
}

#[tokio::test]
async fn test_connection_with_the_right_and_wrong_basic_password() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start(Some(auth())).await;
    let url = format!("http://{}", proxy.addr());

    let r = report(&server, &url, Some(USER), Some(PASSWORD)).await;
    assert!(
        r.reached && r.asked_for_credentials && r.service_answered,
        "{r:?}"
    );
    assert!(!r.credentials_refused);
    assert!(r
        .message
        .contains("It asks for a user name and password, and accepted them."));

    let r = report(&server, &url, Some(USER), Some("wrong-secret")).await;
    assert!(
        r.reached && r.asked_for_credentials && r.credentials_refused,
        "{r:?}"
    );
    assert!(!r.service_answered);
    assert!(
        r.message.contains("the proxy refused the credentials"),
        "{}",
        r.message
    );

    let r = report(&server, &url, None, None).await;
    assert!(r.asked_for_credentials && !r.credentials_refused && !r.service_answered);
    assert!(r
        .message
        .contains("asks for a user name and password, and none are set"));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn test_connection_through_socks5_with_credentials() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start(Some(auth())).await;
    let url = format!("socks5h://{}", proxy.addr());

    let r = report(&server, &url, Some(USER), Some(PASSWORD)).await;
    assert!(
        r.reached && r.asked_for_credentials && r.service_answered,
        "{r:?}"
    );
    assert_eq!(r.status, Some(200));

    let r = report(&server, &url, Some(USER), Some("wrong-secret")).await;
    assert!(
        r.asked_for_credentials && r.credentials_refused && !r.service_answered,
        "{r:?}"
    );
    assert_eq!(
        r.message,
        format!(
            "The proxy socks5h://{} was reached. It asks for a user name and password: the proxy refused the credentials. Dynaspark was not tried.",
            proxy.addr()
        )
    );
    assert!(
        r.details
            .as_deref()
            .unwrap()
            .contains("failure status 0x01"),
        "{r:?}"
    );

    let r = report(&server, &url, None, None).await;
    assert!(r.asked_for_credentials && !r.credentials_refused, "{r:?}");
    assert!(
        r.message
            .contains("It asks for a user name and password, and none are set."),
        "{r:?}"
    );
    assert!(server.requests().is_empty());
}

/// pproxy's way: a wrong password (or no user/password offered) gets a hang-up, not the
/// RFC 1929 failure status. reqwest cannot tell that from any other hang-up; the check's
/// own handshake can.
#[tokio::test]
async fn test_connection_through_socks5_that_hangs_up_on_a_wrong_password() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start_hanging_up(auth()).await;
    let url = format!("socks5://{}", proxy.addr());

    let r = report(&server, &url, Some(USER), Some("wrong-secret")).await;
    assert!(
        r.reached && r.asked_for_credentials && r.credentials_refused,
        "{r:?}"
    );
    assert!(!r.service_answered && r.status.is_none(), "{r:?}");
    assert_eq!(
        r.message,
        format!(
            "The proxy socks5://{} was reached. It asks for a user name and password: the proxy refused the credentials. Dynaspark was not tried.",
            proxy.addr()
        )
    );
    assert!(
        r.details
            .as_deref()
            .unwrap()
            .contains("hung up as soon as the user name and password were sent"),
        "{r:?}"
    );

    let r = report(&server, &url, Some(USER), Some(PASSWORD)).await;
    assert!(
        r.asked_for_credentials && !r.credentials_refused && r.service_answered,
        "{r:?}"
    );
    assert!(r
        .message
        .contains("It asks for a user name and password, and accepted them. Dynaspark answered through it (HTTP 200)."));

    // No user/password offered: it hangs up on the greeting too, and is asked again.
    let r = report(&server, &url, None, None).await;
    assert!(
        r.asked_for_credentials && !r.credentials_refused && !r.service_answered,
        "{r:?}"
    );
    assert!(
        r.message.contains(
            "It asks for a user name and password, and none are set. Dynaspark was not tried."
        ),
        "{r:?}"
    );
    assert!(server.requests().is_empty());

    // A question's error cannot tell this hang-up from any other during the SOCKS
    // handshake (reqwest says only "io error during SOCKS handshake"), so the client asks
    // the proxy once more and says the credentials were refused; no retry follows.
    let err = ask(&client(&server, &url, Some(USER), Some("wrong-secret")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProxyAuth, "{err}");
    assert!(err.to_string().contains("refused the credentials"), "{err}");
    assert!(!err.is_retryable());
    assert!(
        err.details().unwrap().ends_with(
            "error connecting to socks proxy: SOCKS error: io error during SOCKS handshake"
        ),
        "{:?}",
        err.details()
    );
    assert!(server.requests().is_empty());

    // The right password goes through the same proxy.
    let answer = ask(&client(&server, &url, Some(USER), Some(PASSWORD))).await;
    assert!(answer.is_ok(), "{answer:?}");
}

#[tokio::test]
async fn test_connection_through_an_open_socks5_proxy_with_credentials_set() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start(None).await;
    let url = format!("socks5://{}", proxy.addr());
    let r = report(&server, &url, None, None).await;
    assert!(!r.asked_for_credentials && r.service_answered, "{r:?}");
    assert!(r.message.ends_with(
        "It does not ask for a user name and password. Dynaspark answered through it (HTTP 200)."
    ));
    // reqwest offers only user/password when they are set, which this proxy refuses.
    let r = report(&server, &url, Some(USER), Some(PASSWORD)).await;
    assert!(
        !r.asked_for_credentials && r.credentials_refused && !r.service_answered,
        "{r:?}"
    );
    assert!(
        r.message.contains(
            "It does not take a user name and password, and refused the ones set: clear them in Settings. Dynaspark was not tried."
        ),
        "{r:?}"
    );
}

/// A bare HTTP server that answers every request with `head` (status line and headers,
/// without the blank line) and an empty body.
async fn canned(head: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!("{head}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

fn endpoint_client(endpoint: &str, proxy_url: &str) -> Client {
    let mut config = ClientConfig::new(endpoint).unwrap();
    config.proxy = Some(ProxyConfig::new(proxy_url, None, None).unwrap());
    config.retry = RetryPolicy::none();
    Client::new(config).unwrap()
}

#[tokio::test]
async fn test_connection_says_when_the_http_proxy_could_not_reach_dynaspark() {
    let proxy = HttpProxy::start(None).await;
    let proxy_url = format!("http://{}", proxy.addr());
    // Nothing listens at the endpoint: the proxy answers 502 itself.
    let refused = fake_dynaspark::RefusedPort::new().unwrap();
    let endpoint = format!("http://127.0.0.1:{}/generate_response", refused.port);
    let r = endpoint_client(&endpoint, &proxy_url).test_proxy().await;
    assert!(r.reached && !r.service_answered, "{r:?}");
    assert_eq!(r.status, Some(502));
    assert_eq!(
        r.message,
        format!(
            "The proxy http://{}/ was reached. It does not ask for a user name and password. The proxy was reached but could not reach Dynaspark (HTTP 502).",
            proxy.addr()
        )
    );
    assert!(
        r.details
            .as_deref()
            .unwrap()
            .contains("no sign of Dynaspark"),
        "{r:?}"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["serviceAnswered"], serde_json::json!(false));
    assert_eq!(json["status"], serde_json::json!(502));

    // (answer from the far end, does it count as Dynaspark's, the words)
    let via_it = "Dynaspark answered through it";
    let waking = "the service is down or waking up";
    for (head, answered, words) in [
        (
            "HTTP/1.1 502 Bad Gateway\r\nServer: squid/6.6",
            false,
            "could not reach Dynaspark (HTTP 502).",
        ),
        (
            "HTTP/1.1 504 Gateway Timeout",
            false,
            "could not reach Dynaspark (HTTP 504).",
        ),
        (
            "HTTP/1.1 503 Service Unavailable",
            false,
            "could not reach Dynaspark (HTTP 503).",
        ),
        // Signs of the service: it (or Render, in front of it) wrote these.
        (
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30",
            true,
            waking,
        ),
        ("HTTP/1.1 502 Bad Gateway\r\nrndr-id: 3f1c9a", true, waking),
        (
            "HTTP/1.1 504 Gateway Timeout\r\nx-render-routing: no-server",
            true,
            waking,
        ),
        (
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json",
            true,
            waking,
        ),
        // Any other status is the far end's.
        (
            "HTTP/1.1 200 OK",
            true,
            "Dynaspark answered through it (HTTP 200).",
        ),
        (
            "HTTP/1.1 404 Not Found",
            true,
            "Dynaspark answered through it (HTTP 404).",
        ),
        (
            "HTTP/1.1 500 Internal Server Error",
            true,
            "Dynaspark answered through it (HTTP 500).",
        ),
    ] {
        let far = canned(head).await;
        let endpoint = format!("http://{far}/generate_response");
        let r = endpoint_client(&endpoint, &proxy_url).test_proxy().await;
        assert_eq!(r.service_answered, answered, "{head}: {r:?}");
        assert!(r.message.contains(words), "{head}: {r:?}");
        assert!(r.status.is_some(), "{head}: {r:?}");
        if answered {
            assert!(r.message.contains(via_it), "{head}: {r:?}");
        }
    }
    // Through SOCKS5 only the far end can answer in HTTP: a bare 502 is Dynaspark's side
    // (down or waking up, as the protocol page says), not the proxy's.
    let socks = Socks5Proxy::start(None).await;
    let far = canned("HTTP/1.1 502 Bad Gateway").await;
    let r = endpoint_client(
        &format!("http://{far}/generate_response"),
        &format!("socks5://{}", socks.addr()),
    )
    .test_proxy()
    .await;
    assert!(r.service_answered, "{r:?}");
    assert_eq!(r.status, Some(502));
    assert!(
        r.message.ends_with(
            "Dynaspark answered through it (HTTP 502): the service is down or waking up (a cold start takes about a minute). Try again shortly."
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn test_connection_to_an_unreachable_proxy_or_none() {
    let server = FakeServer::start_local().await;
    let refused = fake_dynaspark::RefusedPort::new().unwrap();
    let port = refused.port;
    let r = report(
        &server,
        &format!("http://127.0.0.1:{port}"),
        Some(USER),
        Some(PASSWORD),
    )
    .await;
    assert!(!r.reached && !r.service_answered, "{r:?}");
    assert_eq!(
        r.message,
        format!(
            "Could not reach the proxy http://127.0.0.1:{port}/: nothing accepted the connection."
        )
    );

    let direct = Client::new(ClientConfig::new(&server.endpoint()).unwrap()).unwrap();
    let r = direct.test_proxy().await;
    assert_eq!(r.proxy, None);
    assert!(r.service_answered && !r.reached, "{r:?}");
    assert_eq!(
        r.message,
        "No proxy is set; Dynaspark was tried directly. Dynaspark answered (HTTP 200)."
    );
}
