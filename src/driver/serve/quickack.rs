//! A client's TCP stream that acknowledges what it reads at once until the student's session
//! is on screen.
//!
//! OpenSSH's client turns Nagle's algorithm off only once the session is interactive: during
//! the key exchange and the sign-in it holds a small packet back until the one before it is
//! acknowledged. Linux, seeing a request/reply exchange, delays its acknowledgements (up to
//! 40 ms) hoping to carry them on a reply; when the client's next packet is the one held back,
//! both sides wait and the connection stalls. `TCP_QUICKACK` makes the kernel acknowledge at
//! once, but it is not sticky: the kernel goes back to delaying on its own, so it is asked for
//! again after every read until [`QuickAck::stop`] (the session's first output has been sent;
//! from there client and server both have Nagle off, and keys are answered with data anyway).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The switch that ends the quick acknowledgements, shared with the connection's handler.
#[derive(Debug, Clone, Default)]
pub struct QuickAck(Arc<AtomicBool>);

impl QuickAck {
    /// From here on the kernel acknowledges as it likes.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A TCP stream that asks for an immediate acknowledgement after every read that brought
/// bytes, until its [`QuickAck`] is stopped.
pub struct Stream {
    tcp: TcpStream,
    quick: QuickAck,
}

impl Stream {
    pub fn new(tcp: TcpStream, quick: QuickAck) -> Self {
        Self { tcp, quick }
    }
}

/// Asks the kernel to acknowledge what it has received now, and to stop delaying for a while.
#[cfg(target_os = "linux")]
fn acknowledge_now(tcp: &TcpStream) {
    // A failure only means the usual delayed acknowledgement: nothing to report.
    let _ = rustix::net::sockopt::set_tcp_quickack(tcp, true);
}

/// Other systems have no such switch (or none that needs setting again): nothing to do.
#[cfg(not(target_os = "linux"))]
fn acknowledge_now(_: &TcpStream) {}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        let got_bytes = matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before;
        if got_bytes && !this.quick.stopped() {
            acknowledge_now(&this.tcp);
        }
        polled
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The wrapper passes bytes through both ways unchanged, before and after the switch.
    #[test]
    fn bytes_pass_through_both_ways() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (accepted, _) = listener.accept().await.unwrap();
            let quick = QuickAck::default();
            let mut server = Stream::new(accepted, quick.clone());

            client.write_all(b"hello").await.unwrap();
            let mut got = [0u8; 5];
            server.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"hello");

            quick.stop();
            server.write_all(b"back").await.unwrap();
            client.write_all(b"again").await.unwrap();
            let mut back = [0u8; 4];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"back");
            server.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"again");
        });
    }

    /// While quick acknowledgements are on, the socket has TCP_QUICKACK set after a read.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_read_asks_for_quick_acknowledgement() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (accepted, _) = listener.accept().await.unwrap();
            let mut server = Stream::new(accepted, QuickAck::default());
            // Off first, so the read is what turns it on.
            rustix::net::sockopt::set_tcp_quickack(&server.tcp, false).unwrap();
            assert!(!rustix::net::sockopt::tcp_quickack(&server.tcp).unwrap());
            client.write_all(b"x").await.unwrap();
            let mut got = [0u8; 1];
            server.read_exact(&mut got).await.unwrap();
            assert!(rustix::net::sockopt::tcp_quickack(&server.tcp).unwrap());
        });
    }
}
