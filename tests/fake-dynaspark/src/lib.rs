//! A local stand-in for Dynaspark's vision endpoint, following the protocol page, tiny
//! HTTP/SOCKS5 proxies, and a bare TCP server for resets and stalls. For tests and offline
//! use only; never for production traffic.

mod proxies;
mod server;
mod socket_faults;

pub use proxies::{HttpProxy, ProxyAuth, Socks5Proxy};
pub use server::{Behaviour, FakeServer, RecordedPart, RecordedRequest};
pub use socket_faults::{RefusedPort, SocketFault, SocketFaultServer};
