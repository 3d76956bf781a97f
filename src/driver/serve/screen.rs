//! A student's screen: a ratatui terminal whose backend writes into a buffer that is sent down
//! the SSH channel. Its viewport is fixed and set from what the client says (pty-req,
//! window-change); nothing here ever touches the server's own terminal.
//!
//! The backend is crossterm's, wrapped so that every question about the terminal's size is
//! answered from the size the client sent: crossterm's own answer asks the *server's*
//! terminal (an `ioctl` on `/dev/tty`, and when that fails, two `tput` child processes), and
//! ratatui asks on every resize of a fixed viewport.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::cell::RefCell;
use std::rc::Rc;

/// The bytes a screen has drawn and not yet sent. The terminal's backend owns one handle and
/// the session another (ratatui keeps its own way to reach the writer unstable).
#[derive(Clone, Default)]
pub struct Sink(Rc<RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    /// The bytes drawn since the last call.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Crossterm's backend over a [`Sink`], with the size the client gave instead of the server's.
pub struct ClientBackend {
    inner: CrosstermBackend<Sink>,
    size: Size,
}

impl Backend for ClientBackend {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    /// The cursor is never read back from a client (crossterm would ask the server's own
    /// terminal): the app keeps it hidden, so the origin is as good as any.
    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(Position::ORIGIN)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

pub type Screen = Terminal<ClientBackend>;

/// Gives the screen the client's new size: the backend answers with it from now on, and the
/// next frame is drawn whole.
pub fn resize(screen: &mut Screen, (cols, rows): (u16, u16)) -> std::io::Result<()> {
    screen.backend_mut().size = Size::new(cols, rows);
    screen.resize(Rect::new(0, 0, cols, rows))
}

/// Sent once at the start: the alternate screen, no cursor, bracketed paste, and mouse
/// buttons and wheel in SGR form (1000 and 1006: clicks and wheel only, not every motion,
/// which would flood the network).
pub const START: &[u8] = b"\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[?1000h\x1b[?1006h\x1b[2J\x1b[H";

/// Sent once at the end: everything START turned on, turned off again, colours reset.
pub const END: &[u8] = b"\x1b[?1006l\x1b[?1000l\x1b[?2004l\x1b[0m\x1b[?25h\x1b[?1049l";

/// A screen of this size and the sink its frames go to.
pub fn new_screen((cols, rows): (u16, u16)) -> (Screen, Sink) {
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, cols, rows)),
    };
    let sink = Sink::default();
    let backend = ClientBackend {
        inner: CrosstermBackend::new(sink.clone()),
        size: Size::new(cols, rows),
    };
    // A fixed viewport asks the backend nothing, and the sink never fails to take bytes.
    match Terminal::with_options(backend, options) {
        Ok(t) => (t, sink),
        Err(e) => unreachable!("a fixed-size terminal over a memory sink cannot fail: {e}"),
    }
}

/// Text for a terminal in raw mode: every line ends in CR LF.
pub fn lines(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines() {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A whole screen with only a message on it (the class is full, a refusal), for a client
/// that has no session.
pub fn message_only(text: &str) -> Vec<u8> {
    let mut out = b"\x1b[2J\x1b[H".to_vec();
    out.extend(lines(text));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_writes_the_text_into_the_buffer_at_the_fixed_size() {
        let (mut screen, sink) = new_screen((20, 3));
        screen
            .draw(|f| {
                assert_eq!(f.area(), Rect::new(0, 0, 20, 3));
                f.buffer_mut()
                    .set_string(0, 1, "hello", ratatui::style::Style::new());
            })
            .unwrap();
        let out = sink.take();
        assert!(String::from_utf8_lossy(&out).contains("hello"));
        assert!(sink.take().is_empty());
        resize(&mut screen, (10, 2)).unwrap();
        screen.draw(|f| assert_eq!(f.area().width, 10)).unwrap();
    }

    /// Without a terminal of its own (stdin, stdout and stderr closed to /dev/null, no
    /// controlling terminal in a test runner), crossterm's size query would fail or fork
    /// `tput`; the screen answers from the client's size instead, on every path ratatui asks.
    #[test]
    fn the_size_comes_from_the_client_never_from_a_terminal() {
        let (mut screen, sink) = new_screen((132, 43));
        assert_eq!(screen.size().unwrap(), Size::new(132, 43));
        assert_eq!(
            screen.backend_mut().window_size().unwrap().columns_rows,
            Size::new(132, 43)
        );
        for (cols, rows) in [(20, 5), (400, 200), (1, 1), (80, 24)] {
            resize(&mut screen, (cols, rows)).unwrap();
            assert_eq!(screen.size().unwrap(), Size::new(cols, rows));
            screen.clear().unwrap();
            screen
                .draw(|f| assert_eq!(f.area(), Rect::new(0, 0, cols, rows)))
                .unwrap();
        }
        assert!(!sink.take().is_empty());
    }

    #[test]
    fn messages_end_lines_with_cr_lf() {
        assert_eq!(lines("a\nb"), b"a\r\nb\r\n");
        assert!(message_only("full").ends_with(b"full\r\n"));
    }
}
