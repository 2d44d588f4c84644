//! Client for Dynaspark, the free web service in front of Gemini models.
//! Owns the wire protocol (`../shared/dynaspark-protocol.md`); knows nothing of windows or storage.

mod attachment;
mod client;
mod config;
mod error;
mod network;
mod progress;
mod prompt;
mod proxy;
mod proxy_check;
mod retry;
mod upload;

pub use attachment::{
    describe_unsupported, dialog_extensions, sniff_image_type, unsupported, Image, ImageType,
    SUPPORTED_FORMATS,
};
pub use client::{Answer, Client, Request};
pub use config::{ClientConfig, Timeouts, DEFAULT_ENDPOINT, DEFAULT_MODELS, USER_AGENT};
pub use error::{AddressProblem, ConnectionFault, Error, ErrorCode};
pub use progress::Progress;
pub use prompt::{flatten, flatten_long, flatten_within, Message, Role};
pub use proxy::ProxyConfig;
pub use proxy_check::ProxyReport;
pub use retry::RetryPolicy;
