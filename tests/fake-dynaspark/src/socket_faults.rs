//! A bare TCP server for failures below HTTP that a web framework will not produce:
//! resets, a peer that never reads, an answer cut off mid-body. Loopback only; counts what it sees.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

const RECV_BUFFER_BYTES: u32 = 64 * 1024;

/// What the server does with one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketFault {
    /// Reads the whole request, then resets the connection (RST) without answering.
    ResetBeforeAnswer,
    /// Reads the whole request, sends the headers and part of the body, then resets.
    ResetMidBody,
    /// Reads the whole request and never answers; the connection stays open.
    Stall,
    /// Accepts the connection and never reads from it, so an upload fills the socket
    /// buffers and stops.
    NeverRead,
    /// Reads the whole request and answers 200 `{"response": text}`, then closes.
    Answer(String),
    /// Reads the request body slowly (64 KiB every 5 ms, about 12 MiB/s), then
    /// answers like [`SocketFault::Answer`]: an upload long enough to watch.
    ReadSlowly(String),
}

#[derive(Default)]
struct Counters {
    connections: AtomicUsize,
    requests: AtomicUsize,
}

/// A running socket-fault server; it serves until the runtime ends.
#[derive(Clone)]
pub struct SocketFaultServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

impl SocketFaultServer {
    /// Serves `script`, one entry per connection in order; the last entry repeats.
    pub async fn start(script: Vec<SocketFault>) -> Self {
        assert!(!script.is_empty(), "a socket-fault script needs an entry");
        // A small receive buffer keeps the client's upload honest: it cannot park
        // megabytes in the kernel, so slow reading shows as slow sending.
        let socket = TcpSocket::new_v4().expect("a TCP socket");
        socket
            .set_recv_buffer_size(RECV_BUFFER_BYTES)
            .expect("set SO_RCVBUF");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind loopback");
        let listener = socket.listen(64).expect("listen");
        let addr = listener.local_addr().expect("local addr");
        let counters = Arc::<Counters>::default();
        let c = counters.clone();
        let script = Arc::new(Mutex::new(script));
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let n = c.connections.fetch_add(1, Ordering::SeqCst);
                let fault = {
                    let s = script
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    s[n.min(s.len() - 1)].clone()
                };
                tokio::spawn(serve(conn, fault, c.clone()));
            }
        });
        Self { addr, counters }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A vision endpoint URL on this server.
    pub fn endpoint(&self) -> String {
        format!("http://{}/generate_response", self.addr)
    }

    /// Connections accepted.
    pub fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::SeqCst)
    }

    /// Requests read whole, head and body.
    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }
}

async fn serve(conn: TcpStream, fault: SocketFault, c: Arc<Counters>) -> std::io::Result<()> {
    if fault == SocketFault::NeverRead {
        return hold(conn).await;
    }
    let mut reader = BufReader::new(conn);
    let pace = matches!(fault, SocketFault::ReadSlowly(_)).then_some(Duration::from_millis(5));
    read_request(&mut reader, pace).await?;
    c.requests.fetch_add(1, Ordering::SeqCst);
    let mut conn = reader.into_inner();
    match fault {
        SocketFault::ResetBeforeAnswer => reset(conn),
        SocketFault::ResetMidBody => {
            conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"response\": \"This answer is cut o",
            )
            .await?;
            conn.flush().await?;
            // Let the head arrive before the reset, or the client sees no answer at all.
            tokio::time::sleep(Duration::from_millis(100)).await;
            reset(conn)
        }
        SocketFault::Stall | SocketFault::NeverRead => hold(conn).await,
        SocketFault::Answer(text) | SocketFault::ReadSlowly(text) => {
            let body = serde_json::json!({ "response": text }).to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            conn.write_all(head.as_bytes()).await?;
            conn.write_all(body.as_bytes()).await?;
            conn.shutdown().await
        }
    }
}

/// Keeps the connection open, doing nothing, until the runtime ends.
async fn hold(conn: TcpStream) -> std::io::Result<()> {
    let _conn = conn;
    std::future::pending::<()>().await;
    Ok(())
}

/// Closes with RST rather than FIN.
fn reset(conn: TcpStream) -> std::io::Result<()> {
    conn.set_zero_linger()?;
    drop(conn);
    Ok(())
}

/// Reads the head and a `Content-Length` body, 64 KiB per `pace` when given.
async fn read_request(
    reader: &mut BufReader<TcpStream>,
    pace: Option<Duration>,
) -> std::io::Result<()> {
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; 64 * 1024];
    while length > 0 {
        let n = length.min(body.len());
        reader.read_exact(&mut body[..n]).await?;
        length -= n;
        if let Some(pace) = pace {
            tokio::time::sleep(pace).await;
        }
    }
    Ok(())
}

/// A local port that refuses connections for as long as this lives: bound but not
/// listening, so no other test can take it meanwhile (a port found free and released
/// can be, by a proxy or server another test starts in parallel).
pub struct RefusedPort {
    _socket: tokio::net::TcpSocket,
    pub port: u16,
}

impl RefusedPort {
    pub fn new() -> std::io::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let port = socket.local_addr()?.port();
        Ok(Self {
            _socket: socket,
            port,
        })
    }
}
