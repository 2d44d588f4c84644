//! "Test connection" for the proxy setting: is the proxy reachable, does it ask for
//! credentials and take ours, does Dynaspark answer through it. Never sends a question.

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER, SERVER};
use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::client::http_client;
use crate::network::{transport_error, Phase};
use crate::{Client, ClientConfig, Error, ProxyConfig};

/// What [`Client::test_proxy`] found, in fields for the UI and in words for people.
///
/// JSON: `{"proxy":"http://127.0.0.1:3128/","reached":true,"askedForCredentials":true,
/// "credentialsRefused":true,"serviceAnswered":false,"status":null,"message":"…","details":"…"}`
///
/// An HTTP proxy that could not reach Dynaspark and said so with a 502:
/// `{…,"reached":true,…,"serviceAnswered":false,"status":502,"message":"… The proxy was
/// reached but could not reach Dynaspark (HTTP 502).",…}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyReport {
    /// The proxy tested, without credentials; `None` when no proxy is set (the
    /// service was then tried directly).
    pub proxy: Option<String>,
    /// A TCP connection to the proxy succeeded.
    pub reached: bool,
    /// The proxy wants a user name and password (HTTP 407, or SOCKS5 user/password).
    pub asked_for_credentials: bool,
    /// Credentials were sent and the proxy refused them: HTTP 407, a SOCKS5 failure
    /// status, or a SOCKS5 proxy hanging up as soon as it got them.
    pub credentials_refused: bool,
    /// Dynaspark (or whatever is at the endpoint's address) gave an HTTP answer through
    /// the proxy. Not set for a 502, 503 or 504 the HTTP proxy gave itself because it
    /// could not reach the endpoint (`status` still holds it): a plain `http://`
    /// endpoint's answer with no sign of the service in it. Through SOCKS5 or a CONNECT
    /// tunnel (an `https://` endpoint) only the far end can answer in HTTP, so there a
    /// 502 to 504 is the service being down or waking up, and counts as an answer.
    pub service_answered: bool,
    /// The HTTP status of the answer, whoever gave it.
    pub status: Option<u16>,
    /// One sentence per finding, in order.
    pub message: String,
    /// The network library's account of what failed (never the password).
    pub details: Option<String>,
}

/// Whether the proxy asks for credentials, whether it refused ours, and what the `GET`
/// brought back (`None`: Dynaspark was not tried).
type Outcome = (bool, bool, Option<Result<Reply, Error>>);

impl Client {
    /// Tests the configured proxy with a `GET` of the endpoint's origin (no question
    /// is sent): first whether the proxy asks for credentials and takes ours (for
    /// SOCKS5, a handshake of our own; for HTTP, a request without them), then as
    /// questions will go. Takes up to the connect timeout to reach the proxy (and as
    /// long again for the SOCKS5 handshake), then the total timeout.
    pub async fn test_proxy(&self) -> ProxyReport {
        let config = self.config();
        let mut found = Findings::default();
        let Some(proxy) = &config.proxy else {
            found.say("No proxy is set; Dynaspark was tried directly.".into());
            let outcome = probe(self.http(), config).await;
            found.service(outcome, "");
            return found.report(None);
        };
        let display = proxy.display_url();

        let (host, port) = proxy.address();
        let reach = tokio::time::timeout(
            config.timeouts.connect,
            TcpStream::connect((host.as_str(), port)),
        )
        .await;
        let conn = match reach {
            Ok(Ok(conn)) => {
                found.reached = true;
                found.say(format!("The proxy {display} was reached."));
                conn
            }
            Ok(Err(e)) => {
                found.say(format!(
                    "Could not reach the proxy {display}: {}.",
                    unreachable_reason(&e)
                ));
                found.detail(e.to_string());
                return found.report(Some(display));
            }
            Err(_) => {
                found.say(format!(
                    "Could not reach the proxy {display}: it did not accept a connection within {} s.",
                    config.timeouts.connect.as_secs()
                ));
                return found.report(Some(display));
            }
        };

        let with_credentials = proxy.has_credentials();
        let (asked, refused, outcome) = if proxy.is_socks() {
            let check = socks_check(proxy, conn, config.timeouts.connect).await;
            let shown = display.as_str();
            tracing::debug!(proxy = shown, check = ?check, "SOCKS5 handshake checked");
            match check {
                SocksCheck::Refused(why) => {
                    found.detail(format!("SOCKS5: {why}"));
                    (true, true, None)
                }
                SocksCheck::WantsCredentials if !with_credentials => (true, false, None),
                SocksCheck::Accepted | SocksCheck::WantsCredentials => {
                    let outcome = probe(self.http(), config).await;
                    (true, is_auth(&outcome), Some(outcome))
                }
                SocksCheck::Open => {
                    // reqwest offers only user/password when credentials are set, and
                    // a proxy without them may refuse that.
                    let outcome = probe(self.http(), config).await;
                    (false, with_credentials && is_auth(&outcome), Some(outcome))
                }
                SocksCheck::Unclear(why) => {
                    found.detail(format!("SOCKS5 check: {why}"));
                    self.probe_as_questions_go(proxy).await
                }
            }
        } else {
            drop(conn);
            self.probe_as_questions_go(proxy).await
        };
        found.asked = asked;
        found.refused = refused;

        found.say(
            match (asked, with_credentials, refused) {
                (true, false, _) => "It asks for a user name and password, and none are set.",
                (true, true, true) => {
                    "It asks for a user name and password: the proxy refused the credentials."
                }
                (true, true, false) => "It asks for a user name and password, and accepted them.",
                (false, true, true) => {
                    "It does not take a user name and password, and refused the ones set: clear them in Settings."
                }
                (false, true, false) => {
                    "It does not ask for a user name and password (the ones set are sent anyway)."
                }
                (false, false, _) => "It does not ask for a user name and password.",
            }
            .into(),
        );
        match outcome {
            Some(outcome) if !is_auth(&outcome) => found.service(outcome, " through it"),
            outcome => {
                if let Some(outcome) = &outcome {
                    found.detail_of(outcome);
                }
                found.say("Dynaspark was not tried.".into());
            }
        }
        found.report(Some(display))
    }

    /// For HTTP proxies (and SOCKS5 ones whose handshake said nothing certain): a `GET`
    /// without credentials, to learn whether the proxy asks for them, then one as
    /// questions go.
    async fn probe_as_questions_go(&self, proxy: &ProxyConfig) -> Outcome {
        let config = self.config();
        let with_credentials = proxy.has_credentials();
        let asked_anonymous = with_credentials && {
            let anonymous = match http_client(config, Some(&proxy.without_credentials())) {
                Ok(http) => probe(&http, config).await,
                Err(e) => Err(e),
            };
            is_auth(&anonymous)
        };
        let outcome = probe(self.http(), config).await;
        let refused = is_auth(&outcome);
        (
            asked_anonymous || refused,
            refused && with_credentials,
            Some(outcome),
        )
    }
}

#[derive(Default)]
struct Findings {
    reached: bool,
    asked: bool,
    refused: bool,
    answered: bool,
    status: Option<u16>,
    lines: Vec<String>,
    details: Vec<String>,
}

impl Findings {
    fn say(&mut self, line: String) {
        self.lines.push(line);
    }

    fn detail(&mut self, detail: String) {
        self.details.push(detail);
    }

    fn detail_of(&mut self, outcome: &Result<Reply, Error>) {
        if let Err(e) = outcome {
            if let Some(d) = e.details() {
                self.detail(d);
            }
        }
    }

    fn service(&mut self, outcome: Result<Reply, Error>, via: &str) {
        match outcome {
            Ok(Reply {
                status,
                gateway_error_of_the_proxy: Some(server),
            }) => {
                self.status = Some(status);
                self.say(format!(
                    "The proxy was reached but could not reach Dynaspark (HTTP {status})."
                ));
                let server = server
                    .map(|s| format!(" (Server: {s})"))
                    .unwrap_or_default();
                self.detail(format!(
                    "HTTP {status} with no sign of Dynaspark in the answer: the proxy's own{server}"
                ));
            }
            Ok(Reply { status, .. }) => {
                self.status = Some(status);
                self.answered = true;
                self.say(if (502..=504).contains(&status) {
                    format!(
                        "Dynaspark answered{via} (HTTP {status}): the service is down or waking up (a cold start takes about a minute). Try again shortly."
                    )
                } else {
                    format!("Dynaspark answered{via} (HTTP {status}).")
                });
            }
            Err(e) => {
                self.say(format!("Dynaspark did not answer{via}: {e}"));
                if let Some(d) = e.details() {
                    self.detail(d);
                }
            }
        }
    }

    fn report(self, proxy: Option<String>) -> ProxyReport {
        ProxyReport {
            proxy,
            reached: self.reached,
            asked_for_credentials: self.asked,
            credentials_refused: self.refused,
            service_answered: self.answered,
            status: self.status,
            message: self.lines.join(" "),
            details: (!self.details.is_empty()).then(|| self.details.join("\n")),
        }
    }
}

/// An HTTP answer to the `GET`.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// `Some` when the HTTP proxy gave this 502, 503 or 504 itself, having failed to
    /// reach the endpoint; inside, the proxy's `Server` header, if it sent one.
    gateway_error_of_the_proxy: Option<Option<String>>,
}

/// `GET {origin}/`: any HTTP status means the service answered, except 407 (the
/// proxy's) and a 502 to 504 the HTTP proxy gave itself.
async fn probe(http: &reqwest::Client, config: &ClientConfig) -> Result<Reply, Error> {
    let url = format!("{}/", config.origin());
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| transport_error(config, &e, Phase::Sending))?;
    let status = response.status().as_u16();
    match &config.proxy {
        Some(proxy) if status == 407 => Err(Error::ProxyAuth {
            proxy: proxy.display_url(),
            credentials_sent: proxy.has_credentials(),
            detail: "HTTP 407 from the proxy".into(),
        }),
        Some(proxy)
            if (502..=504).contains(&status)
                && proxy_can_answer(proxy, config)
                && !from_the_service(status, response.headers()) =>
        {
            let server = response
                .headers()
                .get(SERVER)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(80).collect());
            Ok(Reply {
                status,
                gateway_error_of_the_proxy: Some(server),
            })
        }
        _ => Ok(Reply {
            status,
            gateway_error_of_the_proxy: None,
        }),
    }
}

/// Whether the proxy itself can have written an HTTP status we read: only an HTTP proxy
/// forwarding a plain `http://` request. Through SOCKS5, or through the CONNECT tunnel
/// an `https://` endpoint takes (a proxy that cannot reach the endpoint fails the
/// CONNECT, which is an error, not a status), every status comes from the far end.
fn proxy_can_answer(proxy: &ProxyConfig, config: &ClientConfig) -> bool {
    !proxy.is_socks() && config.endpoint.scheme() == "http"
}

/// Signs that an answer comes from the service's side rather than from the proxy:
/// Render's own headers (the public deployment runs on Render, which answers 502 to 504
/// while the service sleeps or wakes, see the protocol page), a JSON body (the service
/// words its errors in JSON; proxies send pages), or a `Retry-After` on a 503 (Render
/// sends one).
fn from_the_service(status: u16, headers: &HeaderMap) -> bool {
    let render = headers
        .keys()
        .any(|k| k.as_str() == "rndr-id" || k.as_str().starts_with("x-render-"));
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    render || json || (status == 503 && headers.contains_key(RETRY_AFTER))
}

fn is_auth(outcome: &Result<Reply, Error>) -> bool {
    matches!(outcome, Err(Error::ProxyAuth { .. }))
}

fn unreachable_reason(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "nothing accepted the connection",
        ErrorKind::TimedOut => "it did not answer in time",
        _ if e.to_string().contains("lookup") || e.to_string().contains("resolve") => {
            "its name does not resolve"
        }
        _ => "the network refused the connection",
    }
}

// SOCKS5 check ------------------------------------------------------------------------

const SOCKS5: u8 = 0x05;
const NO_AUTH: u8 = 0x00;
const USER_PASS: u8 = 0x02;
const NONE_ACCEPTABLE: u8 = 0xFF;
/// RFC 1929's sub-negotiation version.
const USER_PASS_VERSION: u8 = 0x01;

/// What a SOCKS5 proxy said to a minimal RFC 1928/1929 handshake of our own: the
/// greeting, then the user/password sub-negotiation when credentials are set. No
/// connection request follows. reqwest cannot tell these apart: pproxy (and other
/// servers) answer a wrong password by hanging up rather than with the RFC 1929 failure
/// status, and reqwest reports that as the same "io error during SOCKS handshake" as a
/// hang-up right after the greeting, which is what a server that is not SOCKS5 does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SocksCheck {
    /// It chose "no authentication".
    Open,
    /// It wants a user name and password; none are set.
    WantsCredentials,
    /// It took the user name and password.
    Accepted,
    /// It refused them: a failure status, or a hang-up as soon as they were sent.
    /// Words for the details.
    Refused(String),
    /// Nothing certain (not SOCKS5, a hang-up before choosing, too slow). Words for the
    /// details.
    Unclear(String),
}

/// Why the SOCKS5 proxy refuses the credentials set, if it does: asked after a question
/// failed in the SOCKS handshake, since a proxy that hangs up on a wrong password (pproxy)
/// looks to reqwest like any other hang-up. One more connection, only after a failure.
pub(crate) async fn socks_refusal(proxy: &ProxyConfig, limit: Duration) -> Option<String> {
    if !proxy.is_socks() || proxy.credentials().is_none() {
        return None;
    }
    let (host, port) = proxy.address();
    let conn = tokio::time::timeout(limit, TcpStream::connect((host.as_str(), port)))
        .await
        .ok()?
        .ok()?;
    match socks_check(proxy, conn, limit).await {
        SocksCheck::Refused(why) => Some(why),
        _ => None,
    }
}

/// The handshake on `conn` (already connected to the proxy), within `limit`.
async fn socks_check(proxy: &ProxyConfig, conn: TcpStream, limit: Duration) -> SocksCheck {
    tokio::time::timeout(limit, socks_handshake(proxy, conn))
        .await
        .unwrap_or_else(|_| {
            SocksCheck::Unclear(format!(
                "no answer to the SOCKS5 handshake within {} s",
                limit.as_secs()
            ))
        })
}

async fn socks_handshake(proxy: &ProxyConfig, mut conn: TcpStream) -> SocksCheck {
    let Some((user, password)) = proxy.credentials() else {
        return match greet(&mut conn, &[NO_AUTH]).await {
            Ok(NO_AUTH) => SocksCheck::Open,
            // A server choosing user/password against our offer wants it all the same.
            Ok(NONE_ACCEPTABLE | USER_PASS) => SocksCheck::WantsCredentials,
            Ok(method) => unsupported(method),
            Err(e) if is_hang_up(&e) => {
                drop(conn);
                wants_credentials_after_hang_up(proxy).await
            }
            Err(e) => SocksCheck::Unclear(e.to_string()),
        };
    };
    match greet(&mut conn, &[NO_AUTH, USER_PASS]).await {
        Ok(NO_AUTH) => SocksCheck::Open,
        Ok(USER_PASS) => sub_negotiate(&mut conn, user, password).await,
        Ok(NONE_ACCEPTABLE) => SocksCheck::Unclear(
            "it accepts neither no authentication nor a user name and password".into(),
        ),
        Ok(method) => unsupported(method),
        Err(e) if is_hang_up(&e) => {
            SocksCheck::Unclear("the proxy hung up on the SOCKS5 greeting".into())
        }
        Err(e) => SocksCheck::Unclear(e.to_string()),
    }
}

/// pproxy (and others) hang up on a greeting offering only "no authentication" when
/// they want a user name and password. Offering only user/password on a new connection
/// tells that apart from a server that is not SOCKS5; we stop at its choice.
async fn wants_credentials_after_hang_up(proxy: &ProxyConfig) -> SocksCheck {
    let (host, port) = proxy.address();
    let again = match TcpStream::connect((host.as_str(), port)).await {
        Ok(mut conn) => greet(&mut conn, &[USER_PASS]).await,
        Err(e) => Err(e),
    };
    match again {
        Ok(USER_PASS) => SocksCheck::WantsCredentials,
        _ => SocksCheck::Unclear(
            "the proxy hung up on the SOCKS5 greeting; it may not be a SOCKS5 proxy".into(),
        ),
    }
}

/// Sends the greeting offering `methods`; the method the server chose.
async fn greet(conn: &mut TcpStream, methods: &[u8]) -> std::io::Result<u8> {
    let mut greeting = vec![SOCKS5, methods.len() as u8];
    greeting.extend_from_slice(methods);
    conn.write_all(&greeting).await?;
    let mut choice = [0u8; 2];
    conn.read_exact(&mut choice).await?;
    if choice[0] != SOCKS5 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the answer to the SOCKS5 greeting is not SOCKS5 (it starts with {:#04x})",
                choice[0]
            ),
        ));
    }
    Ok(choice[1])
}

/// RFC 1929: `VER ULEN UNAME PLEN PASSWD`, then `VER STATUS`.
async fn sub_negotiate(conn: &mut TcpStream, user: &str, password: &str) -> SocksCheck {
    let (user, password) = (user.as_bytes(), password.as_bytes());
    let (Ok(user_len), Ok(password_len)) = (u8::try_from(user.len()), u8::try_from(password.len()))
    else {
        return SocksCheck::Unclear(
            "the user name or password is longer than SOCKS5 allows (255 bytes)".into(),
        );
    };
    let mut message = Vec::with_capacity(3 + user.len() + password.len());
    message.extend_from_slice(&[USER_PASS_VERSION, user_len]);
    message.extend_from_slice(user);
    message.push(password_len);
    message.extend_from_slice(password);
    let sent = conn.write_all(&message).await;
    // It holds the password.
    message.fill(0);
    if let Err(e) = sent {
        return SocksCheck::Unclear(format!("sending the user name and password failed: {e}"));
    }
    let mut answer = [0u8; 2];
    match conn.read_exact(&mut answer).await {
        Ok(_) if answer[1] == 0 => SocksCheck::Accepted,
        Ok(_) => SocksCheck::Refused(format!(
            "the proxy answered the user name and password with failure status {:#04x}",
            answer[1]
        )),
        Err(e) if is_hang_up(&e) => SocksCheck::Refused(
            "the proxy hung up as soon as the user name and password were sent, without a status (some proxies refuse credentials this way)"
                .into(),
        ),
        Err(e) => SocksCheck::Unclear(format!(
            "reading the answer to the user name and password failed: {e}"
        )),
    }
}

fn unsupported(method: u8) -> SocksCheck {
    SocksCheck::Unclear(format!(
        "the proxy chose SOCKS5 authentication method {method:#04x}, which is not supported"
    ))
}

/// The other side closed or reset the connection.
fn is_hang_up(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_serializes_in_camel_case() {
        let report = ProxyReport {
            proxy: Some("http://p:1/".into()),
            reached: true,
            asked_for_credentials: true,
            credentials_refused: true,
            message: "m".into(),
            ..ProxyReport::default()
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"proxy":"http://p:1/","reached":true,"askedForCredentials":true,"credentialsRefused":true,"serviceAnswered":false,"status":null,"message":"m","details":null}"#
        );
        // The proxy's own 502: a status, but not Dynaspark's answer. Same shape.
        let report = ProxyReport {
            proxy: Some("http://p:1/".into()),
            reached: true,
            status: Some(502),
            message: "m".into(),
            details: Some("d".into()),
            ..ProxyReport::default()
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"proxy":"http://p:1/","reached":true,"askedForCredentials":false,"credentialsRefused":false,"serviceAnswered":false,"status":502,"message":"m","details":"d"}"#
        );
    }

    #[test]
    fn signs_of_the_service_in_a_gateway_error() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, reqwest::header::HeaderValue::from_static(v));
            }
            h
        };
        for (status, pairs, service) in [
            (502, &[][..], false),
            (
                502,
                &[("server", "squid/6.6"), ("content-type", "text/html")][..],
                false,
            ),
            (504, &[("via", "1.1 proxy")][..], false),
            (503, &[("content-type", "text/plain")][..], false),
            // A Retry-After means something only on a 503.
            (502, &[("retry-after", "30")][..], false),
            (503, &[("retry-after", "30")][..], true),
            (502, &[("rndr-id", "abc")][..], true),
            (504, &[("x-render-routing", "no-server")][..], true),
            (
                502,
                &[("content-type", "application/json; charset=utf-8")][..],
                true,
            ),
        ] {
            assert_eq!(
                from_the_service(status, &headers(pairs)),
                service,
                "{status} {pairs:?}"
            );
        }
    }

    /// A one-connection SOCKS5 server: answers the greeting with `choice`, then, if
    /// `then` is given, reads a sub-negotiation and does `then` with it.
    async fn scripted(choice: &'static [u8], then: Option<After>) -> ProxyConfig {
        use tokio::io::AsyncReadExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 2];
            conn.read_exact(&mut head).await.unwrap();
            let mut methods = vec![0u8; head[1] as usize];
            conn.read_exact(&mut methods).await.unwrap();
            conn.write_all(choice).await.unwrap();
            let Some(then) = then else {
                // Keep the connection open until the client is done.
                let _ = conn.read(&mut [0u8; 1]).await;
                return;
            };
            let mut sub = [0u8; 64];
            let _ = conn.read(&mut sub).await.unwrap();
            match then {
                After::Status(code) => conn.write_all(&[1, code]).await.unwrap(),
                After::Close => drop(conn),
                After::Reset => {
                    conn.set_zero_linger().unwrap();
                    drop(conn);
                }
                After::Stall => tokio::time::sleep(Duration::from_secs(30)).await,
            }
        });
        ProxyConfig::new(&format!("socks5://{addr}"), Some("bob"), Some("s3cret")).unwrap()
    }

    #[derive(Debug, Clone, Copy)]
    enum After {
        Status(u8),
        Close,
        Reset,
        Stall,
    }

    async fn check(proxy: &ProxyConfig) -> SocksCheck {
        let (host, port) = proxy.address();
        let conn = TcpStream::connect((host.as_str(), port)).await.unwrap();
        socks_check(proxy, conn, Duration::from_millis(500)).await
    }

    #[tokio::test]
    async fn the_socks5_check_reads_each_answer_to_the_credentials() {
        let p = scripted(&[5, 2], Some(After::Status(0))).await;
        assert_eq!(check(&p).await, SocksCheck::Accepted);
        for then in [
            After::Status(1),
            After::Status(0xFF),
            After::Close,
            After::Reset,
        ] {
            let p = scripted(&[5, 2], Some(then)).await;
            let found = check(&p).await;
            assert!(
                matches!(found, SocksCheck::Refused(_)),
                "{then:?}: {found:?}"
            );
            assert!(!format!("{found:?}").contains("s3cret"));
        }
        // Silence is not a refusal.
        let p = scripted(&[5, 2], Some(After::Stall)).await;
        assert!(matches!(check(&p).await, SocksCheck::Unclear(_)));
    }

    #[tokio::test]
    async fn the_socks5_check_reads_the_method_choice() {
        assert_eq!(
            check(&scripted(&[5, 0], None).await).await,
            SocksCheck::Open
        );
        for choice in [&[5u8, 0xFF][..], &[5, 1], &b"HTTP/1.1 400"[..]] {
            let found = check(&scripted(choice, None).await).await;
            assert!(
                matches!(found, SocksCheck::Unclear(_)),
                "{choice:?}: {found:?}"
            );
        }
        // Without credentials, "none acceptable" means it wants some.
        let p = scripted(&[5, 0xFF], None).await.without_credentials();
        assert_eq!(check(&p).await, SocksCheck::WantsCredentials);
    }
}
