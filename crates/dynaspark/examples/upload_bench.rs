//! The client's share of an upload: `dynaspark::Client` posting a question with an image
//! to an endpoint (the fake server), beside `curl` posting the same fields, alternately,
//! median of the runs. `cargo run --release -p dynaspark --example upload_bench --
//! http://127.0.0.1:8765/ image.png [runs]`.

use std::process::Command;
use std::time::Instant;

use dynaspark::{Client, ClientConfig, Image, Request};
use tokio_util::sync::CancellationToken;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn curl(endpoint: &str, path: &str) -> f64 {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{time_total}",
            "-H",
            "Expect:",
        ])
        .args([
            "-F",
            "user_input=What is in this picture?",
            "-F",
            "ai_model=gemini-2.0-flash",
        ])
        .arg("-F")
        .arg(format!("file=@{path};type=image/png"))
        .arg(endpoint)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .expect("curl time")
        * 1000.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: upload_bench ENDPOINT IMAGE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(9);
    let bytes = std::fs::read(&path).expect("the image");
    let client = Client::new(ClientConfig::new(&endpoint).expect("endpoint")).expect("client");
    let request = Request {
        prompt: "What is in this picture?".into(),
        model: "gemini-2.0-flash".into(),
        image: Some(Image::new("picture.png", bytes).expect("an image")),
    };
    let cancel = CancellationToken::new();
    let (mut app, mut floor) = (Vec::new(), Vec::new());
    for i in 0..=runs {
        let t0 = Instant::now();
        client.ask(&request, &cancel).await.expect("an answer");
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let c = curl(&endpoint, &path);
        if i > 0 {
            app.push(ms);
            floor.push(c);
        }
    }
    println!(
        "client {:.1} ms, curl {:.1} ms (median of {runs}; {:.2}x)",
        median(app.clone()),
        median(floor.clone()),
        median(app) / median(floor)
    );
}
