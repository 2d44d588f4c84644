//! `fake-dynaspark --port 8765`: run the fake service by hand to try the app offline.

use std::net::SocketAddr;

use fake_dynaspark::{Behaviour, FakeServer, HttpProxy, ProxyAuth};

#[tokio::main]
async fn main() {
    let mut port = 8765u16;
    let mut answer: Option<String> = None;
    let mut http_proxy: Option<ProxyAuth> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--answer" => answer = Some(args.next().unwrap_or_else(|| usage())),
            "--http-proxy" => {
                let credentials = args.next().unwrap_or_else(|| usage());
                let (username, password) = credentials.split_once(':').unwrap_or_else(|| usage());
                http_proxy = Some(ProxyAuth {
                    username: username.into(),
                    password: password.into(),
                });
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let server = match FakeServer::start(SocketAddr::from(([127, 0, 0, 1], port))).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-dynaspark: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Some(text) = answer {
        server.set_fallback(Behaviour::Answer { text });
    }
    println!("fake Dynaspark listening on {}", server.endpoint());
    if let Some(auth) = http_proxy {
        let proxy = HttpProxy::start(Some(auth)).await;
        println!(
            "HTTP proxy (Basic auth) listening on http://{}",
            proxy.addr()
        );
    }
    println!(
        "point the app at it: DYNASPARK_ENDPOINT={} cargo run",
        server.endpoint()
    );
    let _ = tokio::signal::ctrl_c().await;
}

fn usage() -> ! {
    eprintln!(
        "usage: fake-dynaspark [--port 8765] [--answer TEXT] [--http-proxy USER:PASSWORD]\n\
         Serves POST /generate_response like Dynaspark. Without --answer it echoes what it got.\n\
         Script it with POST /__fake/script {{\"queue\": [{{\"kind\": \"bad_gateway_html\"}}]}}\n\
         (kinds: answer, echo, delay, rate_limited, bad_gateway_html, unavailable,\n\
         unavailable_retry_after, fail_times, large_body, invalid_json, missing_response,\n\
         close_mid_body, status);\n\
         read what it received with GET /__fake/requests.\n\
         --http-proxy also starts an HTTP proxy demanding those credentials, on a free port."
    );
    std::process::exit(2);
}
