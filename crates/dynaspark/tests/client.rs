//! The client against the fake Dynaspark server: the exact request, every failure mode,
//! cancellation, and proxies (HTTP and SOCKS5, started here). One attempt per question
//! here; retries are in `faults.rs`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dynaspark::{
    flatten, Client, ClientConfig, ErrorCode, Image, Message, ProxyConfig, Request, RetryPolicy,
    Role, Timeouts,
};
use fake_dynaspark::{Behaviour, FakeServer, HttpProxy, ProxyAuth, Socks5Proxy};
use tokio_util::sync::CancellationToken;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

fn config_for(endpoint: &str) -> ClientConfig {
    let mut config = ClientConfig::new(endpoint).unwrap();
    config.retry = RetryPolicy::none();
    config
}

fn client_for(server: &FakeServer) -> Client {
    Client::new(config_for(&server.endpoint())).unwrap()
}

fn request(prompt: &str, image: Option<Image>) -> Request {
    Request {
        prompt: prompt.into(),
        model: "gemini-2.0-flash".into(),
        image,
    }
}

async fn ask(client: &Client, req: &Request) -> Result<dynaspark::Answer, dynaspark::Error> {
    client.ask(req, &CancellationToken::new()).await
}

#[tokio::test]
async fn request_has_exactly_the_protocol_parts_order_and_headers() {
    let server = FakeServer::start_local().await;
    server.enqueue([Behaviour::Answer {
        text: "A **red** square.".into(),
    }]);
    let image = Image::new("red square.png", PNG.to_vec()).unwrap();
    let answer = ask(
        &client_for(&server),
        &request("What is in this picture?", Some(image)),
    )
    .await
    .unwrap();
    assert_eq!(answer.text, "A **red** square.");

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/generate_response");
    assert!(r.parse_error.is_none(), "{:?}", r.parse_error);
    let names: Vec<&str> = r.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["user_input", "ai_model", "file"]);
    assert_eq!(r.parts[0].text.as_deref(), Some("What is in this picture?"));
    assert_eq!(
        r.parts[0].content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(r.parts[1].text.as_deref(), Some("gemini-2.0-flash"));
    assert_eq!(
        r.parts[1].content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let file = &r.parts[2];
    assert_eq!(file.content_type.as_deref(), Some("image/png"));
    assert_eq!(file.size, PNG.len());
    assert_eq!(file.file_name.as_deref(), Some("red%20square.png"));

    // The file name travels percent-encoded, as the reference client sends it.
    let body = String::from_utf8_lossy(&r.body()).into_owned();
    assert!(
        body.contains("name=\"file\"; filename=\"red%20square.png\""),
        "{body}"
    );
    assert!(
        r.body().windows(PNG.len()).any(|w| w == PNG),
        "image bytes sent unchanged"
    );

    let origin = server
        .endpoint()
        .trim_end_matches("/generate_response")
        .to_owned();
    assert_eq!(r.header("accept"), Some("*/*"));
    assert_eq!(r.header("accept-language"), Some("en-US,en;q=0.9"));
    assert_eq!(r.header("origin"), Some(origin.as_str()));
    assert_eq!(r.header("referer"), Some(format!("{origin}/").as_str()));
    assert_eq!(r.header("x-requested-with"), Some("XMLHttpRequest"));
    assert!(r.header("user-agent").unwrap().contains("Chrome/"));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
}

/// Reads one request off a bare socket, whole, and answers `{"response":"ok"}`.
async fn capture_one_request(listener: tokio::net::TcpListener) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut conn, _) = listener.accept().await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let body_start = loop {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the head ended");
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a Content-Length header, not chunked")
        .trim()
        .parse()
        .unwrap();
    while raw.len() < body_start + length {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the body ended");
        raw.extend_from_slice(&buf[..n]);
    }
    let body = br#"{"response":"ok"}"#;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    raw
}

/// The whole request as bytes: head with title-case names (as the reference client,
/// aiohttp, sends them), `Content-Length` rather than chunked, and reqwest's multipart
/// encoding, unchanged by the counting upload. Only the boundary and port vary.
#[tokio::test]
async fn request_bytes_on_the_wire_are_exact() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let capture = tokio::spawn(capture_one_request(listener));
    let client = Client::new(config_for(&format!(
        "http://127.0.0.1:{port}/generate_response"
    )))
    .unwrap();
    let image = Image::new("red square.png", PNG.to_vec()).unwrap();
    let answer = ask(&client, &request("What is in this picture?", Some(image)))
        .await
        .unwrap();
    assert_eq!(answer.text, "ok");
    let raw = capture.await.unwrap();

    let text = String::from_utf8_lossy(&raw).into_owned();
    let boundary = text
        .split("boundary=")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .unwrap()
        .to_owned();
    assert_eq!(boundary.len(), 67, "{boundary}");
    let got = text
        .replace(&boundary, "BOUNDARY")
        .replace(&port.to_string(), "PORT");
    let png = String::from_utf8_lossy(PNG);
    let body = format!(
        "--BOUNDARY\r\n\
         Content-Disposition: form-data; name=\"user_input\"\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         What is in this picture?\r\n\
         --BOUNDARY\r\n\
         Content-Disposition: form-data; name=\"ai_model\"\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         gemini-2.0-flash\r\n\
         --BOUNDARY\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"red%20square.png\"\r\n\
         Content-Type: image/png\r\n\r\n\
         {png}\r\n\
         --BOUNDARY--\r\n"
    );
    // The real boundary is 67 bytes, the placeholder 8: four of them in the body.
    let length = body.len() - png.len() + PNG.len() + 4 * (67 - 8);
    let want = format!(
        "POST /generate_response HTTP/1.1\r\n\
         Content-Type: multipart/form-data; boundary=BOUNDARY\r\n\
         Content-Length: {length}\r\n\
         Accept: */*\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\
         Origin: http://127.0.0.1:PORT\r\n\
         Referer: http://127.0.0.1:PORT/\r\n\
         User-Agent: {}\r\n\
         X-Requested-With: XMLHttpRequest\r\n\
         Host: 127.0.0.1:PORT\r\n\
         \r\n\
         {body}",
        dynaspark::USER_AGENT
    );
    assert_eq!(got, want);
    assert_eq!(length, 652, "same length as before the upload was counted");
}

#[tokio::test]
async fn without_image_there_is_no_file_part() {
    let server = FakeServer::start_local().await;
    ask(&client_for(&server), &request("hi", None))
        .await
        .unwrap();
    let names: Vec<String> = server.requests()[0]
        .parts
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(names, ["user_input", "ai_model"]);
}

#[tokio::test]
async fn jpeg_named_png_is_sent_as_jpeg() {
    let server = FakeServer::start_local().await;
    let jpeg = Image::new("photo.png", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).unwrap();
    ask(&client_for(&server), &request("q", Some(jpeg)))
        .await
        .unwrap();
    let file = server.requests()[0].part("file").cloned().unwrap();
    assert_eq!(file.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(file.file_name.as_deref(), Some("photo.png"));
}

#[tokio::test]
async fn flattened_history_arrives_as_user_input() {
    let server = FakeServer::start_local().await;
    let history = [
        Message::new(Role::User, "hi"),
        Message::new(Role::Assistant, "hello"),
        Message::new(Role::User, "what is in this picture?"),
    ];
    ask(&client_for(&server), &request(&flatten(&history), None))
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0]
            .part("user_input")
            .unwrap()
            .text
            .as_deref(),
        Some("User: hi\nAssistant: hello\nUser: what is in this picture?\nAssistant:")
    );
}

#[tokio::test]
async fn each_failure_mode_maps_to_its_error() {
    let server = FakeServer::start_local().await;
    let client = client_for(&server);
    let cases: Vec<(Behaviour, ErrorCode)> = vec![
        (
            Behaviour::RateLimited {
                retry_after: Some("12".into()),
            },
            ErrorCode::RateLimited,
        ),
        (Behaviour::BadGatewayHtml, ErrorCode::ServerUnavailable),
        (Behaviour::Unavailable, ErrorCode::ServerUnavailable),
        (Behaviour::InvalidJson, ErrorCode::UnexpectedResponse),
        (Behaviour::MissingResponse, ErrorCode::UnexpectedResponse),
        (Behaviour::CloseMidBody, ErrorCode::Network),
        (
            Behaviour::Status {
                status: 404,
                body: "<!DOCTYPE html><h1>gone</h1>".into(),
                content_type: "text/html".into(),
            },
            ErrorCode::HtmlPage,
        ),
        (
            Behaviour::Status {
                status: 400,
                body: r#"{"error":"Invalid model"}"#.into(),
                content_type: "application/json".into(),
            },
            ErrorCode::Status,
        ),
        (
            Behaviour::Status {
                status: 403,
                body: "<html>cloudflare cf-ray</html>".into(),
                content_type: "text/html".into(),
            },
            ErrorCode::Cloudflare,
        ),
    ];
    for (behaviour, code) in cases {
        server.enqueue([behaviour.clone()]);
        let err = ask(&client, &request("q", None)).await.unwrap_err();
        assert_eq!(err.code(), code, "{behaviour:?} gave {err}");
        assert!(!err.to_string().contains('<'), "raw HTML shown: {err}");
    }
    server.enqueue([Behaviour::RateLimited {
        retry_after: Some("12".into()),
    }]);
    let err = ask(&client, &request("q", None)).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
    server.enqueue([Behaviour::Status {
        status: 400,
        body: r#"{"error":"Invalid model"}"#.into(),
        content_type: "application/json".into(),
    }]);
    let err = ask(&client, &request("q", None)).await.unwrap_err();
    assert_eq!(err.to_string(), "Response 400: Invalid model");
}

#[tokio::test]
async fn total_timeout_is_reported_as_such() {
    let server = FakeServer::start_local().await;
    server.enqueue([Behaviour::Delay {
        ms: 3_000,
        then: Box::new(Behaviour::Echo),
    }]);
    let mut config = config_for(&server.endpoint());
    config.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        total: Duration::from_millis(300),
    };
    let err = ask(&Client::new(config).unwrap(), &request("q", None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let refused = fake_dynaspark::RefusedPort::new().unwrap();
    let port = refused.port;
    let client = Client::new(config_for(&format!(
        "http://127.0.0.1:{port}/generate_response"
    )))
    .unwrap();
    let err = ask(&client, &request("q", None)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connect, "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn cancel_stops_a_request_in_flight() {
    let server = FakeServer::start_local().await;
    server.enqueue([Behaviour::Delay {
        ms: 10_000,
        then: Box::new(Behaviour::Echo),
    }]);
    let client = client_for(&server);
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let started = std::time::Instant::now();
    let err = client.ask(&request("q", None), &cancel).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    // Generous bound: proves we did not wait for the 10 s answer.
    assert!(started.elapsed() < Duration::from_secs(8));
}

fn proxied_client(server: &FakeServer, proxy: ProxyConfig) -> Client {
    let mut config = config_for(&server.endpoint());
    config.proxy = Some(proxy);
    Client::new(config).unwrap()
}

fn auth() -> ProxyAuth {
    ProxyAuth {
        username: "alice".into(),
        password: "pa:ss w@rd".into(),
    }
}

#[tokio::test]
async fn http_proxy_with_credentials_reaches_the_server() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start(Some(auth())).await;
    let cfg = ProxyConfig::new(
        &format!("http://{}", proxy.addr()),
        Some("alice"),
        Some("pa:ss w@rd"),
    )
    .unwrap();
    let image = Image::new("a.png", PNG.to_vec()).unwrap();
    let answer = ask(
        &proxied_client(&server, cfg),
        &request("via http proxy", Some(image)),
    )
    .await
    .unwrap();
    assert!(answer.text.contains("via http proxy"));
    assert_eq!(proxy.relayed(), 1);
    assert_eq!(server.requests().len(), 1);
    assert!(server.requests()[0].header("proxy-authorization").is_none());
}

#[tokio::test]
async fn http_proxy_wrong_password_is_an_error_without_the_password() {
    let server = FakeServer::start_local().await;
    let proxy = HttpProxy::start(Some(auth())).await;
    let cfg = ProxyConfig::new(
        &format!("http://{}", proxy.addr()),
        Some("alice"),
        Some("wrong-secret"),
    )
    .unwrap();
    let err = ask(&proxied_client(&server, cfg), &request("q", None))
        .await
        .unwrap_err();
    assert_eq!(proxy.refused(), 1);
    assert_eq!(server.requests().len(), 0);
    assert!(!format!("{err} {err:?} {:?}", err.details()).contains("wrong-secret"));
}

#[tokio::test]
async fn socks5_proxy_reaches_the_server() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start(None).await;
    let cfg = ProxyConfig::new(&format!("socks5://{}", proxy.addr()), None, None).unwrap();
    let answer = ask(&proxied_client(&server, cfg), &request("via socks", None))
        .await
        .unwrap();
    assert!(answer.text.contains("via socks"));
    assert_eq!(proxy.relayed(), 1);
}

#[tokio::test]
async fn socks5h_proxy_with_credentials_reaches_the_server() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start(Some(auth())).await;
    let cfg = ProxyConfig::new(
        &format!("socks5h://{}", proxy.addr()),
        Some("alice"),
        Some("pa:ss w@rd"),
    )
    .unwrap();
    ask(&proxied_client(&server, cfg), &request("q", None))
        .await
        .unwrap();
    assert_eq!(proxy.relayed(), 1);
    assert_eq!(proxy.refused(), 0);
}

#[tokio::test]
async fn socks5_wrong_password_reads_as_refused_credentials() {
    let server = FakeServer::start_local().await;
    let proxy = Socks5Proxy::start(Some(auth())).await;
    let cfg = ProxyConfig::new(
        &format!("socks5://{}", proxy.addr()),
        Some("alice"),
        Some("nope-secret"),
    )
    .unwrap();
    let err = ask(&proxied_client(&server, cfg), &request("q", None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProxyAuth, "{err}");
    assert!(
        err.to_string()
            .contains("The proxy refused the credentials"),
        "{err}"
    );
    assert_eq!(proxy.refused(), 1);
    assert!(!format!("{err} {err:?} {:?}", err.details()).contains("nope-secret"));
}
