//! The request body: reqwest's own multipart encoding, rendered once (retries resend the
//! same bytes) and streamed in chunks so the bytes handed to the connection can be counted.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body::{Frame, SizeHint};
use reqwest::multipart::Form;
use tokio::sync::watch;

/// Small enough for smooth progress, large enough not to cost anything.
const CHUNK_BYTES: usize = 64 * 1024;

/// A rendered body and its `Content-Type`: the multipart framing in small pieces and a
/// picture's bytes as they are, shared with the request (not copied into one buffer).
pub(crate) struct Payload {
    content_type: String,
    pieces: Vec<Bytes>,
    len: usize,
}

impl Payload {
    /// The bytes `RequestBuilder::multipart(form)` would send, with the same
    /// `Content-Type` (and so the same `Content-Length`).
    pub(crate) async fn multipart(form: Form) -> Self {
        let content_type = format!("multipart/form-data; boundary={}", form.boundary());
        let mut stream = std::pin::pin!(form.into_stream());
        let mut pieces = Vec::new();
        // The framing comes in many small chunks: joined, so the body is a few frames.
        let mut small = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("in-memory multipart parts cannot fail");
            if chunk.len() < CHUNK_BYTES {
                small.extend_from_slice(&chunk);
                continue;
            }
            if !small.is_empty() {
                pieces.push(Bytes::from(std::mem::take(&mut small)));
            }
            pieces.push(chunk);
        }
        if !small.is_empty() {
            pieces.push(Bytes::from(small));
        }
        let len = pieces.iter().map(Bytes::len).sum();
        Self {
            content_type,
            pieces,
            len,
        }
    }

    pub(crate) fn content_type(&self) -> &str {
        &self.content_type
    }

    pub(crate) fn len(&self) -> u64 {
        self.len as u64
    }

    /// A fresh body for one attempt, and the running count of its bytes handed over.
    pub(crate) fn body(&self) -> (reqwest::Body, watch::Receiver<u64>) {
        let (body, sent) = self.counting_body();
        (reqwest::Body::wrap(body), sent)
    }

    fn counting_body(&self) -> (CountingBody, watch::Receiver<u64>) {
        let (sent, rx) = watch::channel(0);
        let body = CountingBody {
            pieces: self.pieces.clone(),
            piece: 0,
            pos: 0,
            done: 0,
            len: self.len,
            sent,
        };
        (body, rx)
    }
}

struct CountingBody {
    pieces: Vec<Bytes>,
    /// The piece being handed over, and how far into it.
    piece: usize,
    pos: usize,
    /// Bytes handed over, of `len`.
    done: usize,
    len: usize,
    sent: watch::Sender<u64>,
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let Some(piece) = this.pieces.get(this.piece) else {
            return Poll::Ready(None);
        };
        let end = (this.pos + CHUNK_BYTES).min(piece.len());
        let chunk = piece.slice(this.pos..end);
        if end == piece.len() {
            this.piece += 1;
            this.pos = 0;
        } else {
            this.pos = end;
        }
        this.done += chunk.len();
        // Counted when hyper takes the chunk: the previous ones are in the socket
        // (or its buffer) by then.
        this.sent.send_replace(this.done as u64);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.done >= self.len
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.len - self.done) as u64)
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;

    use super::*;

    #[tokio::test]
    async fn the_body_is_the_form_in_chunks_and_counts_them() {
        let big = "x".repeat(CHUNK_BYTES * 2 + 10);
        let picture = Bytes::from(vec![7u8; CHUNK_BYTES + 1]);
        let len = picture.len() as u64;
        let form = Form::new().text("user_input", big.clone()).part(
            "file",
            reqwest::multipart::Part::stream_with_length(reqwest::Body::from(picture.clone()), len)
                .file_name("a.png"),
        );
        let payload = Payload::multipart(form).await;
        assert!(payload
            .content_type()
            .starts_with("multipart/form-data; boundary="));
        // A picture goes as it is, not copied into the body.
        assert!(payload
            .pieces
            .iter()
            .any(|p| p.as_ptr() == picture.as_ptr()));

        let (mut body, mut sent) = payload.counting_body();
        assert_eq!(*sent.borrow_and_update(), 0);
        assert_eq!(body.size_hint().exact(), Some(payload.len()));
        let mut got = Vec::new();
        let mut counts = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            got.extend_from_slice(&frame.unwrap().into_data().unwrap());
            counts.push(*sent.borrow_and_update());
        }
        assert_eq!(got, payload.pieces.concat());
        // The framing, the text in three chunks, the framing, the picture in two, the end.
        assert_eq!(counts.len(), 8);
        assert_eq!(counts.last().copied(), Some(payload.len()));
        assert!(body.is_end_stream());
        let text = String::from_utf8(got).unwrap();
        assert!(text.contains("name=\"user_input\""));
        assert!(text.contains(&big));
    }
}
