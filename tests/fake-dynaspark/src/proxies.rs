//! Minimal forward proxies for proxy tests: HTTP (absolute-form and CONNECT, optional
//! Basic auth, optionally read case-sensitively, its own 502 when a plain-HTTP target
//! cannot be reached) and SOCKS5 (no auth or user/password; refusing with a status, or
//! by hanging up as pproxy does).
//! Loopback only; they count what they relay and keep the request heads they received.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Credentials a proxy demands.
#[derive(Debug, Clone)]
pub struct ProxyAuth {
    pub username: String,
    pub password: String,
}

#[derive(Default)]
struct Counters {
    relayed: AtomicUsize,
    refused: AtomicUsize,
    /// HTTP request heads (request line and headers) exactly as received.
    heads: Mutex<Vec<String>>,
}

macro_rules! proxy_handle {
    ($name:ident) => {
        /// A running proxy; it serves until the runtime ends.
        #[derive(Clone)]
        pub struct $name {
            addr: SocketAddr,
            counters: Arc<Counters>,
        }

        impl $name {
            pub fn addr(&self) -> SocketAddr {
                self.addr
            }
            /// Connections relayed to their target.
            pub fn relayed(&self) -> usize {
                self.counters.relayed.load(Ordering::SeqCst)
            }
            /// Connections refused for bad or missing credentials.
            pub fn refused(&self) -> usize {
                self.counters.refused.load(Ordering::SeqCst)
            }
            /// HTTP request heads exactly as received, bytes and header-name case
            /// unchanged (always empty for SOCKS5).
            pub fn heads(&self) -> Vec<String> {
                self.counters
                    .heads
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone()
            }
        }
    };
}

proxy_handle!(HttpProxy);
proxy_handle!(Socks5Proxy);

/// Binds a loopback port and runs `session` for every connection, in the background.
async fn serve<F, Fut>(auth: Option<ProxyAuth>, session: F) -> (SocketAddr, Arc<Counters>)
where
    F: Fn(TcpStream, Option<ProxyAuth>, Arc<Counters>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let counters = Arc::<Counters>::default();
    let c = counters.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(session(conn, auth.clone(), c.clone()));
        }
    });
    (addr, counters)
}

impl HttpProxy {
    /// Reads `Proxy-Authorization` in any case, as HTTP says header names are.
    pub async fn start(auth: Option<ProxyAuth>) -> Self {
        let (addr, counters) =
            serve(auth, |conn, auth, c| http_session(conn, auth, c, false)).await;
        Self { addr, counters }
    }

    /// Finds credentials only in a header spelled exactly `Proxy-Authorization`, as
    /// pproxy and some corporate proxies do.
    pub async fn start_case_sensitive(auth: Option<ProxyAuth>) -> Self {
        let (addr, counters) = serve(auth, |conn, auth, c| http_session(conn, auth, c, true)).await;
        Self { addr, counters }
    }
}

async fn http_session(
    conn: TcpStream,
    auth: Option<ProxyAuth>,
    c: Arc<Counters>,
    case_sensitive: bool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    c.heads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(head.concat());
    let request_line = head[0].trim_end().to_owned();
    let mut it = request_line.splitn(3, ' ');
    let (method, target, version) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or("HTTP/1.1"),
    );

    if let Some(auth) = &auth {
        let want = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", auth.username, auth.password))
        );
        let ok = head.iter().any(|l| {
            let name_ok = if case_sensitive {
                l.starts_with("Proxy-Authorization:")
            } else {
                l.to_ascii_lowercase().starts_with("proxy-authorization:")
            };
            name_ok
                && l.split_once(':')
                    .map(|(_, v)| v.trim().to_ascii_lowercase())
                    == Some(want.to_ascii_lowercase())
        });
        if !ok {
            c.refused.fetch_add(1, Ordering::SeqCst);
            let conn = reader.get_mut();
            conn.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
            return Ok(());
        }
    }

    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await?;
        c.relayed.fetch_add(1, Ordering::SeqCst);
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        let buffered = reader.buffer().to_vec();
        upstream.write_all(&buffered).await?;
        let mut conn = reader.into_inner();
        tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
        return Ok(());
    }

    // Absolute-form: `POST http://host:port/path HTTP/1.1`.
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let Ok(mut upstream) = TcpStream::connect(&host).await else {
        // As squid, nginx and most forward proxies do: the proxy's own 502 page.
        reader
            .get_mut()
            .write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 46\r\nConnection: close\r\n\r\n<html><body>Upstream unreachable</body></html>",
            )
            .await?;
        return Ok(());
    };
    c.relayed.fetch_add(1, Ordering::SeqCst);
    let mut out = format!("{method} {path} {version}\r\n");
    for line in &head[1..] {
        if !line.to_ascii_lowercase().starts_with("proxy-") {
            out.push_str(line);
        }
    }
    upstream.write_all(out.as_bytes()).await?;
    let buffered = reader.buffer().to_vec();
    upstream.write_all(&buffered).await?;
    let mut conn = reader.into_inner();
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}

impl Socks5Proxy {
    pub async fn start(auth: Option<ProxyAuth>) -> Self {
        let (addr, counters) =
            serve(auth, |conn, auth, c| socks_session(conn, auth, c, false)).await;
        Self { addr, counters }
    }

    /// Like [`Socks5Proxy::start`] with credentials, but refusing as pproxy does: it hangs
    /// up on a wrong user name or password (no RFC 1929 failure status), and on a greeting
    /// that does not offer user/password (no `0xFF` method).
    pub async fn start_hanging_up(auth: ProxyAuth) -> Self {
        let (addr, counters) = serve(Some(auth), |conn, auth, c| {
            socks_session(conn, auth, c, true)
        })
        .await;
        Self { addr, counters }
    }
}

async fn socks_session(
    mut conn: TcpStream,
    auth: Option<ProxyAuth>,
    c: Arc<Counters>,
    hang_up: bool,
) -> std::io::Result<()> {
    // Greeting: VER NMETHODS METHODS...
    let mut hdr = [0u8; 2];
    conn.read_exact(&mut hdr).await?;
    let mut methods = vec![0u8; hdr[1] as usize];
    conn.read_exact(&mut methods).await?;
    let wanted = if auth.is_some() { 0x02 } else { 0x00 };
    if hdr[0] != 5 || !methods.contains(&wanted) {
        c.refused.fetch_add(1, Ordering::SeqCst);
        if !hang_up {
            conn.write_all(&[5, 0xFF]).await?;
        }
        return Ok(());
    }
    conn.write_all(&[5, wanted]).await?;
    if let Some(auth) = auth {
        // RFC 1929: VER ULEN UNAME PLEN PASSWD
        let mut v = [0u8; 2];
        conn.read_exact(&mut v).await?;
        let mut user = vec![0u8; v[1] as usize];
        conn.read_exact(&mut user).await?;
        let mut plen = [0u8; 1];
        conn.read_exact(&mut plen).await?;
        let mut pass = vec![0u8; plen[0] as usize];
        conn.read_exact(&mut pass).await?;
        if user != auth.username.as_bytes() || pass != auth.password.as_bytes() {
            c.refused.fetch_add(1, Ordering::SeqCst);
            if !hang_up {
                conn.write_all(&[1, 1]).await?;
            }
            return Ok(());
        }
        conn.write_all(&[1, 0]).await?;
    }
    // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
    let mut req = [0u8; 4];
    conn.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            conn.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            conn.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            conn.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0u8; 16];
            conn.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    conn.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    if req[1] != 1 {
        conn.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    }
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        conn.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    c.relayed.fetch_add(1, Ordering::SeqCst);
    conn.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}
