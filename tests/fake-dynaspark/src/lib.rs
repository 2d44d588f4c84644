//! A local stand-in for Dynaspark's vision endpoint, following the protocol page, and
//! tiny HTTP/SOCKS5 proxies. For tests and offline use only; never for production traffic.

mod proxies;
mod server;

pub use proxies::{HttpProxy, ProxyAuth, Socks5Proxy};
pub use server::{Behaviour, FakeServer, RecordedPart, RecordedRequest};
