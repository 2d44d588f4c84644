//! A proxy this project did not write: pproxy from PyPI (`pip install pproxy`), HTTP with
//! Basic auth and SOCKS5 on one port, started by the test. It reads `Proxy-Authorization`
//! case-sensitively, like some corporate proxies. Skipped with a note when the command is
//! missing, unless `DYNASPARK_REQUIRE_PPROXY=1` makes that a failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use dynaspark::{Client, ClientConfig, ErrorCode, ProxyConfig, Request, RetryPolicy};
use fake_dynaspark::FakeServer;
use tokio::io::AsyncReadExt as _;
use tokio_util::sync::CancellationToken;

const USER: &str = "alice";
/// A `+` on purpose: it must reach the proxy as a plus, not a space.
const PASSWORD: &str = "pa+ss-9";

fn pproxy_command() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("pproxy"))
        .find(|p| p.is_file())
}

/// pproxy on a free loopback port; killed when dropped.
struct Pproxy {
    child: tokio::process::Child,
    port: u16,
}

impl Pproxy {
    async fn start(command: &PathBuf) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // pproxy takes users from the URL fragment (`user:pass@` would name a cipher);
        // `--auth 0` stops it from trusting an address for 30 days after one good login.
        let mut child = tokio::process::Command::new(command)
            .arg("-l")
            .arg(format!("http+socks5://127.0.0.1:{port}#{USER}:{PASSWORD}"))
            .args(["--auth", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start pproxy");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { child, port };
            }
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err).await;
                }
                panic!("pproxy exited ({status}) before listening: {err}");
            }
            assert!(
                Instant::now() < deadline,
                "pproxy did not listen within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

fn client(server: &FakeServer, proxy_url: &str, user: Option<&str>, pass: Option<&str>) -> Client {
    let mut config = ClientConfig::new(&server.endpoint()).unwrap();
    config.proxy = Some(ProxyConfig::new(proxy_url, user, pass).unwrap());
    config.retry = RetryPolicy::none();
    Client::new(config).unwrap()
}

async fn ask(client: &Client, prompt: &str) -> Result<dynaspark::Answer, dynaspark::Error> {
    let request = Request {
        prompt: prompt.into(),
        model: "gemini-1.5-flash".into(),
        image: None,
    };
    client.ask(&request, &CancellationToken::new()).await
}

#[tokio::test]
async fn questions_go_through_pproxy_with_the_right_password_only() {
    let Some(command) = pproxy_command() else {
        if std::env::var("DYNASPARK_REQUIRE_PPROXY").as_deref() == Ok("1") {
            panic!(
                "DYNASPARK_REQUIRE_PPROXY=1 but the `pproxy` command is not on PATH. \
                 Install it with `pip install pproxy` (a third-party HTTP/SOCKS proxy)."
            );
        }
        eprintln!(
            "note: skipped: `pproxy` is not on PATH. Install it with `pip install pproxy`, \
             or set DYNASPARK_REQUIRE_PPROXY=1 to make its absence a failure."
        );
        return;
    };
    let server = FakeServer::start_local().await;
    let mut proxy = Pproxy::start(&command).await;
    let http = proxy.url("http");

    // HTTP with Basic auth: the header must be spelled `Proxy-Authorization`.
    let answer = ask(
        &client(&server, &http, Some(USER), Some(PASSWORD)),
        "via pproxy",
    )
    .await
    .unwrap();
    assert!(answer.text.contains("via pproxy"));
    // Inline and percent-encoded, as people paste it: `%2B` is the `+`.
    let inline = format!("http://{USER}:pa%2Bss-9@127.0.0.1:{}", proxy.port);
    ask(&client(&server, &inline, None, None), "inline")
        .await
        .unwrap();

    let err = ask(
        &client(&server, &http, Some(USER), Some("wrong-secret")),
        "no",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProxyAuth, "{err}");
    assert!(err
        .to_string()
        .starts_with("The proxy refused the credentials."));
    assert!(!format!("{err:?}").contains("wrong-secret"));
    let err = ask(&client(&server, &http, None, None), "no")
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("The proxy asks for a user name and password."));

    // SOCKS5 on the same port, the proxy resolving the name.
    let socks = proxy.url("socks5h");
    let answer = ask(
        &client(&server, &socks, Some(USER), Some(PASSWORD)),
        "via socks",
    )
    .await
    .unwrap();
    assert!(answer.text.contains("via socks"));
    let err = ask(
        &client(&server, &socks, Some(USER), Some("wrong-secret")),
        "no",
    )
    .await
    .unwrap_err();
    // pproxy hangs up on bad SOCKS credentials rather than saying so, and reqwest reports
    // that exactly as it reports a hang-up right after the greeting (a server that is not
    // SOCKS5): "io error during SOCKS handshake", the step not said. The client then asks
    // the proxy itself, once, and calls it what it is.
    assert_eq!(err.code(), ErrorCode::ProxyAuth, "{err}");
    assert!(err.to_string().contains("refused the credentials"), "{err}");
    let details = err.details().unwrap();
    assert!(
        details.contains("hung up as soon as the user name and password were sent"),
        "{details}"
    );
    assert!(
        details.ends_with(
            "error connecting to socks proxy: SOCKS error: io error during SOCKS handshake"
        ),
        "{details}"
    );
    assert!(!format!("{err} {err:?} {:?}", err.details()).contains("wrong-secret"));
    eprintln!(
        "pproxy, wrong SOCKS5 password: {} [{}] details: {:?}",
        err,
        err.code().as_str(),
        err.details()
    );

    let prompts: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.part("user_input").unwrap().text.clone().unwrap())
        .collect();
    assert_eq!(prompts, ["via pproxy", "inline", "via socks"]);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("proxy-authorization").is_none()));

    // The settings button says the same in words.
    let r = client(&server, &http, Some(USER), Some(PASSWORD))
        .test_proxy()
        .await;
    assert!(
        r.reached && r.asked_for_credentials && r.service_answered,
        "{r:?}"
    );
    let r = client(&server, &http, Some(USER), Some("wrong-secret"))
        .test_proxy()
        .await;
    assert!(r.credentials_refused && !r.service_answered, "{r:?}");
    assert!(r.message.contains("the proxy refused the credentials"));

    // SOCKS5: pproxy hangs up on a wrong password; the check's own handshake says so.
    for scheme in ["socks5", "socks5h"] {
        let url = proxy.url(scheme);
        let r = client(&server, &url, Some(USER), Some("wrong-secret"))
            .test_proxy()
            .await;
        assert!(
            r.reached && r.asked_for_credentials && r.credentials_refused,
            "{r:?}"
        );
        assert!(!r.service_answered && r.status.is_none(), "{r:?}");
        assert_eq!(
            r.message,
            format!(
                "The proxy {url} was reached. It asks for a user name and password: the proxy refused the credentials. Dynaspark was not tried."
            )
        );
        assert!(!format!("{r:?}").contains("wrong-secret"));
        let r = client(&server, &url, Some(USER), Some(PASSWORD))
            .test_proxy()
            .await;
        assert!(
            r.asked_for_credentials && !r.credentials_refused && r.service_answered,
            "{r:?}"
        );
        assert_eq!(r.status, Some(200));
        // Without credentials it hangs up on the greeting as well.
        let r = client(&server, &url, None, None).test_proxy().await;
        assert!(
            r.asked_for_credentials && !r.credentials_refused && !r.service_answered,
            "{r:?}"
        );
        assert!(
            r.message
                .contains("It asks for a user name and password, and none are set."),
            "{r:?}"
        );
    }

    proxy.child.kill().await.unwrap();
}
