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
    assert!(r.message.contains("the proxy refused the credentials"));

    let r = report(&server, &url, None, None).await;
    assert!(r.asked_for_credentials && !r.credentials_refused, "{r:?}");
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
