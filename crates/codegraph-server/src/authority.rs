//! Lets stock gRPC C-core clients (Python grpcio, Ruby, PHP, C++) use the
//! Unix socket without overriding `:authority`.
//!
//! Since gRPC 1.57, C-core sends the percent-encoded socket path as
//! `:authority` for a `unix:PATH` target (`tmp%2Fx%2Fserve.sock`). h2, under
//! tonic, rejects a `%` in a host as a malformed request
//! (`RST_STREAM(PROTOCOL_ERROR)`), before any code of ours runs, and offers
//! no switch to accept it. So the bytes a Unix-socket client sends pass
//! through [`FixAuthority`], which follows the HTTP/2 framing and, inside
//! HEADERS and CONTINUATION frames only, rewrites such an `:authority` value
//! in place to a valid host of the same length (`tmp-2Fx-2Fserve.sock`):
//! same length, so frame lengths and the HPACK table stay in step. Every
//! other byte passes through untouched. Over a socket only its owner can
//! reach, the authority carries no meaning.

use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

/// The client connection preface (RFC 9113 §3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const PREFACE_LEN: usize = PREFACE.len();
/// HEADERS and CONTINUATION frame types.
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
/// The largest header frame buffered to be rewritten; larger ones (which
/// exceed the default SETTINGS_MAX_FRAME_SIZE anyway) pass through.
const MAX_BUFFERED_FRAME: usize = 1 << 16;

/// The HPACK literal header name `:authority` (not Huffman-coded) as
/// C-core writes it: a length byte of 10, then the name.
const AUTHORITY_NAME: &[u8] = b"\x0a:authority";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The preface: this many bytes still to pass.
    Preface(usize),
    /// Waiting for a 9-byte frame header.
    Header,
    /// A frame's payload: `remaining` bytes; `rewrite`: buffered whole and
    /// rewritten (a header frame), else passed through as it comes.
    Payload { remaining: usize, rewrite: bool },
    /// Not HTTP/2 (an HTTP/1.1 client, such as an MCP client of `/mcp`):
    /// every byte passes through.
    Passthrough,
}

/// What the client sends, with a C-core socket `:authority` made valid (see
/// the module's documentation); writes pass straight through.
#[derive(Debug)]
pub struct FixAuthority<S> {
    inner: S,
    state: State,
    /// Read from `inner`, not yet processed.
    raw: Vec<u8>,
    /// Processed, not yet handed to the reader.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<S> FixAuthority<S> {
    pub fn new(inner: S) -> FixAuthority<S> {
        FixAuthority {
            inner,
            state: State::Preface(PREFACE_LEN),
            raw: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Moves what can be decided from `raw` to `out`.
    fn process(&mut self) {
        loop {
            match self.state {
                State::Passthrough => {
                    self.out.append(&mut self.raw);
                    return;
                }
                State::Preface(n) => {
                    let take = n.min(self.raw.len());
                    if take == 0 {
                        return;
                    }
                    let at = PREFACE_LEN - n;
                    if self.raw[..take] != PREFACE[at..at + take] {
                        self.state = State::Passthrough;
                        continue;
                    }
                    self.out.extend(self.raw.drain(..take));
                    self.state = if take == n {
                        State::Header
                    } else {
                        State::Preface(n - take)
                    };
                }
                State::Header => {
                    if self.raw.len() < 9 {
                        return;
                    }
                    let len = (usize::from(self.raw[0]) << 16)
                        | (usize::from(self.raw[1]) << 8)
                        | usize::from(self.raw[2]);
                    let kind = self.raw[3];
                    self.out.extend(self.raw.drain(..9));
                    self.state = State::Payload {
                        remaining: len,
                        rewrite: matches!(kind, HEADERS | CONTINUATION)
                            && len <= MAX_BUFFERED_FRAME,
                    };
                }
                State::Payload { remaining: 0, .. } => self.state = State::Header,
                State::Payload {
                    remaining,
                    rewrite: true,
                } => {
                    if self.raw.len() < remaining {
                        return;
                    }
                    let mut payload: Vec<u8> = self.raw.drain(..remaining).collect();
                    rewrite_authority(&mut payload);
                    self.out.extend(payload);
                    self.state = State::Header;
                }
                State::Payload {
                    remaining,
                    rewrite: false,
                } => {
                    let take = remaining.min(self.raw.len());
                    if take == 0 {
                        return;
                    }
                    self.out.extend(self.raw.drain(..take));
                    self.state = State::Payload {
                        remaining: remaining - take,
                        rewrite: false,
                    };
                }
            }
        }
    }
}

/// Rewrites, in a header block fragment, each literal `:authority` whose
/// value (not Huffman-coded) holds a `%`: every byte that may not appear in
/// a host becomes `-`. The length never changes.
pub fn rewrite_authority(block: &mut [u8]) {
    let mut from = 0;
    while let Some(at) = find(&block[from..], AUTHORITY_NAME) {
        let len_at = from + at + AUTHORITY_NAME.len();
        from = len_at;
        let Some(&prefix) = block.get(len_at) else {
            return;
        };
        // Huffman-coded, or a length of 127 and more (a multi-byte
        // integer): not C-core's socket authority.
        if prefix & 0x80 != 0 || prefix & 0x7f == 0x7f {
            continue;
        }
        let len = usize::from(prefix & 0x7f);
        let Some(value) = block.get_mut(len_at + 1..len_at + 1 + len) else {
            return;
        };
        if value.contains(&b'%') {
            for b in value.iter_mut() {
                if !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~')) {
                    *b = b'-';
                }
            }
        }
        from = len_at + 1 + len;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<S: AsyncRead + Unpin> AsyncRead for FixAuthority<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_pos < this.out.len() {
                let n = (this.out.len() - this.out_pos).min(buf.remaining());
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                // A truncated frame at the end: hand over what is left as
                // it is; then the end.
                if !this.raw.is_empty() {
                    this.out.append(&mut this.raw);
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    if read.filled().is_empty() {
                        this.eof = true;
                    } else {
                        this.raw.extend_from_slice(read.filled());
                        this.process();
                    }
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FixAuthority<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl Connected for FixAuthority<tokio::net::UnixStream> {
    type ConnectInfo = <tokio::net::UnixStream as Connected>::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What grpcio 1.76 sent for `unix:/tmp/authprobe/cap.sock` (captured),
    /// between the preface and a DATA frame that carries the same text.
    fn conversation() -> (Vec<u8>, Vec<u8>) {
        let block: &[u8] = b"\x83\x86@\x05:path\x1c/grpc.health.v1.Health/Check\
            @\x0a:authority\x1atmp%2Fauthprobe%2Fcap.sock\
            @\x02te\x08trailers";
        let data: &[u8] = b"\x00\x00\x00\x00\x10\x0a:authority\x1atmp%2Fauthprobe%2Fcap.sock";
        let frame = |kind: u8, flags: u8, payload: &[u8]| {
            let len = payload.len();
            let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
            f.extend_from_slice(&1u32.to_be_bytes());
            f.extend_from_slice(payload);
            f
        };
        let mut sent = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        sent.extend(frame(0x4, 0, &[0, 4, 0, 0x40, 0, 0]));
        sent.extend(frame(HEADERS, 0x4, block));
        sent.extend(frame(0x0, 0x1, data));
        let mut expected = sent.clone();
        let fixed = b"tmp-2Fauthprobe-2Fcap.sock";
        let at = find(&expected, b"tmp%2F").unwrap();
        expected[at..at + fixed.len()].copy_from_slice(fixed);
        (sent, expected)
    }

    #[test]
    fn a_percent_encoded_authority_becomes_a_valid_host_of_the_same_length() {
        let mut block = b"@\x0a:authority\x1atmp%2Fauthprobe%2Fcap.sock\x83".to_vec();
        rewrite_authority(&mut block);
        assert_eq!(
            &block[..],
            b"@\x0a:authority\x1atmp-2Fauthprobe-2Fcap.sock\x83"
        );
        let host = std::str::from_utf8(&block[13..39]).unwrap();
        assert!(host.parse::<tonic::codegen::http::uri::Authority>().is_ok());
        // A valid authority, a Huffman-coded one, a truncated one: unchanged.
        for untouched in [
            &b"@\x0a:authority\x0flocalhost:50051"[..],
            &b"@\x0a:authority\x85%%%%%"[..],
            &b"@\x0a:authority\x1atmp%2F"[..],
            &b"@\x0a:authority"[..],
        ] {
            let mut b = untouched.to_vec();
            rewrite_authority(&mut b);
            assert_eq!(b, untouched);
        }
    }

    /// Only header frames are rewritten (a DATA frame carrying the same
    /// bytes passes as it is), whatever the reads' boundaries.
    #[tokio::test]
    async fn only_header_frames_are_rewritten_across_any_read_boundaries() {
        let (sent, expected) = conversation();
        for chunk in [1, 2, 7, 9, 24, 25, 100, sent.len()] {
            let (client, server) = tokio::io::duplex(64);
            let to_send = sent.clone();
            let writer = tokio::spawn(async move {
                let mut client = client;
                for part in to_send.chunks(chunk) {
                    client.write_all(part).await.unwrap();
                }
                client.shutdown().await.unwrap();
            });
            let mut fixed = FixAuthority::new(server);
            let mut got = Vec::new();
            fixed.read_to_end(&mut got).await.unwrap();
            writer.await.unwrap();
            assert_eq!(got, expected, "reads of {chunk} bytes");
        }
    }

    /// An HTTP/1.1 request (an MCP client of `/mcp`) passes untouched,
    /// even bytes that would look like an HTTP/2 header frame.
    #[tokio::test]
    async fn http1_passes_untouched() {
        let mut sent = b"POST /mcp HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
        sent.extend(b"\x00\x00\x10\x01\x04\x00\x00\x00\x01\x0a:authority\x1atmp%2Fx");
        for chunk in [1, 3, sent.len()] {
            let (client, server) = tokio::io::duplex(64);
            let to_send = sent.clone();
            let writer = tokio::spawn(async move {
                let mut client = client;
                for part in to_send.chunks(chunk) {
                    client.write_all(part).await.unwrap();
                }
                client.shutdown().await.unwrap();
            });
            let mut got = Vec::new();
            FixAuthority::new(server)
                .read_to_end(&mut got)
                .await
                .unwrap();
            writer.await.unwrap();
            assert_eq!(got, sent, "reads of {chunk} bytes");
        }
    }
}
