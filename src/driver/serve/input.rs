//! Bytes a student's terminal sends, turned into the same key, mouse and paste events the
//! local app gets from crossterm.
//!
//! Over SSH there is no local terminal to ask: the bytes arrive in packets, and a packet may
//! end in the middle of an escape sequence or a UTF-8 character. The parser keeps such a tail
//! until the next packet. A lone Esc is ambiguous (the key, or the start of a sequence whose
//! rest is still on the way), so the driver calls [`InputParser::flush`] once no more bytes
//! came for a moment, and the tail is taken as typed.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// A paste longer than this is cut: no field in the course takes more, and a student's
/// clipboard must not grow the server's memory without end.
pub const PASTE_LIMIT: usize = 64 * 1024;

/// An escape sequence longer than this is not one any terminal sends for a key: it is dropped
/// rather than buffered.
const SEQUENCE_LIMIT: usize = 64;

const ESC: u8 = 0x1b;
const PASTE_END: &[u8] = b"\x1b[201~";

#[derive(Debug, Default)]
pub struct InputParser {
    /// Bytes of an unfinished sequence or character, kept for the next packet.
    pending: Vec<u8>,
    /// Inside a bracketed paste: the text so far.
    paste: Option<Vec<u8>>,
}

/// What the bytes at the front of the buffer are.
#[derive(Debug, PartialEq)]
enum Parsed {
    Event(Event, usize),
    /// Bytes that mean nothing to the course (an unknown sequence), skipped.
    Skip(usize),
    /// The start of a bracketed paste.
    PasteStart(usize),
    /// More bytes are needed to tell.
    Incomplete,
}

impl InputParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a packet; events complete by its end are appended to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        let mut at = 0;
        while at < buf.len() {
            if self.paste.is_some() {
                at += self.feed_paste(&buf[at..], out);
                continue;
            }
            match parse(&buf[at..]) {
                Parsed::Event(ev, len) => {
                    out.push(ev);
                    at += len;
                }
                Parsed::Skip(len) => at += len,
                Parsed::PasteStart(len) => {
                    self.paste = Some(Vec::new());
                    at += len;
                }
                // Longer than any key's sequence: junk, dropped whole.
                Parsed::Incomplete if buf.len() - at > SEQUENCE_LIMIT => at = buf.len(),
                Parsed::Incomplete => {
                    self.pending = buf[at..].to_vec();
                    return;
                }
            }
        }
    }

    /// Whether bytes wait for the rest of their sequence (the driver should call
    /// [`flush`](Self::flush) if none comes soon).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() && self.paste.is_none()
    }

    /// No more bytes came: what is pending is taken as typed. A lone Esc is the Esc key;
    /// the rest of an unfinished sequence reads as the keys it is made of.
    pub fn flush(&mut self, out: &mut Vec<Event>) {
        if self.paste.is_some() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        // Anything else pending is a cut UTF-8 character that will never finish: dropped.
        if let Some((&ESC, rest)) = pending.split_first() {
            out.push(key(KeyCode::Esc, KeyModifiers::NONE));
            self.feed(rest, out);
            // Whatever is still unfinished now can never complete either.
            self.pending.clear();
        }
    }

    /// Takes paste text from the front of `buf` up to the end marker; returns bytes used.
    fn feed_paste(&mut self, buf: &[u8], out: &mut Vec<Event>) -> usize {
        let Some(text) = self.paste.as_mut() else {
            return buf.len();
        };
        let room = PASTE_LIMIT.saturating_sub(text.len());
        if let Some(end) = find(buf, PASTE_END) {
            text.extend_from_slice(&buf[..end.min(room)]);
            let text = String::from_utf8_lossy(text).into_owned();
            out.push(Event::Paste(text));
            self.paste = None;
            return end + PASTE_END.len();
        }
        // Keep a tail that may be the start of the end marker for the next packet.
        let keep = (1..PASTE_END.len())
            .rev()
            .find(|&n| buf.len() >= n && buf.ends_with(&PASTE_END[..n]))
            .unwrap_or(0);
        let body = &buf[..buf.len() - keep];
        text.extend_from_slice(&body[..body.len().min(room)]);
        self.pending = buf[buf.len() - keep..].to_vec();
        buf.len()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

/// The event at the front of `b` (never empty).
fn parse(b: &[u8]) -> Parsed {
    if b[0] != ESC {
        return parse_plain(b);
    }
    match b.get(1) {
        None => Parsed::Incomplete,
        Some(b'[') => parse_csi(b),
        Some(b'O') => parse_ss3(b),
        // Esc pressed twice, or Esc then a sequence: the first is the key.
        Some(&ESC) => Parsed::Event(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        // Esc before a key is how terminals send Alt with it.
        Some(_) => match parse_plain(&b[1..]) {
            Parsed::Event(Event::Key(mut k), len) => {
                k.modifiers |= KeyModifiers::ALT;
                Parsed::Event(Event::Key(k), len + 1)
            }
            Parsed::Skip(len) => Parsed::Skip(len + 1),
            other => other,
        },
    }
}

/// A byte that is not Esc: a control key, or a character in UTF-8.
fn parse_plain(b: &[u8]) -> Parsed {
    let ctrl = KeyModifiers::CONTROL;
    let none = KeyModifiers::NONE;
    let ev = match b[0] {
        b'\r' | b'\n' => key(KeyCode::Enter, none),
        b'\t' => key(KeyCode::Tab, none),
        0x7f | 0x08 => key(KeyCode::Backspace, none),
        0x00 => key(KeyCode::Char(' '), ctrl),
        c @ 0x01..=0x1a => key(KeyCode::Char((b'a' + c - 1) as char), ctrl),
        c @ 0x1c..=0x1f => key(KeyCode::Char((b'4' + c - 0x1c) as char), ctrl),
        c @ b'A'..=b'Z' => key(KeyCode::Char(c as char), KeyModifiers::SHIFT),
        c @ 0x20..=0x7e => key(KeyCode::Char(c as char), none),
        lead => return parse_utf8(b, lead),
    };
    Parsed::Event(ev, 1)
}

fn parse_utf8(b: &[u8], lead: u8) -> Parsed {
    let len = match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        // A continuation byte alone, or a byte no UTF-8 text contains.
        _ => return Parsed::Skip(1),
    };
    if b.len() < len {
        // Incomplete only if what is there could still become a character.
        return if b[1..].iter().all(|c| c & 0xc0 == 0x80) {
            Parsed::Incomplete
        } else {
            Parsed::Skip(1)
        };
    }
    match std::str::from_utf8(&b[..len])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Parsed::Event(key(KeyCode::Char(c), KeyModifiers::NONE), len),
        None => Parsed::Skip(1),
    }
}

/// `Esc O x`: how some terminals send arrows, Home/End and F1-F4 (application mode).
fn parse_ss3(b: &[u8]) -> Parsed {
    let Some(&c) = b.get(2) else {
        return Parsed::Incomplete;
    };
    match cursor_key(c) {
        Some(code) => Parsed::Event(key(code, KeyModifiers::NONE), 3),
        None => Parsed::Skip(3),
    }
}

/// The key a final byte names in `Esc [ … x` and `Esc O x`.
fn cursor_key(c: u8) -> Option<KeyCode> {
    Some(match c {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    })
}

/// The key of `Esc [ n ~`.
fn tilde_key(n: u16) -> Option<KeyCode> {
    Some(match n {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        11..=15 => KeyCode::F((n - 10) as u8),
        17..=21 => KeyCode::F((n - 11) as u8),
        23 | 24 => KeyCode::F((n - 12) as u8),
        _ => return None,
    })
}

/// xterm's modifier parameter: 1 + (1 Shift, 2 Alt, 4 Ctrl).
fn modifiers(param: Option<u16>) -> KeyModifiers {
    let bits = param.unwrap_or(1).saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    if bits & 1 != 0 {
        m |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        m |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        m |= KeyModifiers::CONTROL;
    }
    m
}

/// `Esc [` then parameters and one final byte.
fn parse_csi(b: &[u8]) -> Parsed {
    let mut end = None;
    for (i, &c) in b.iter().enumerate().skip(2) {
        match c {
            // Parameter and intermediate bytes.
            0x20..=0x3f => continue,
            0x40..=0x7e => {
                end = Some(i);
                break;
            }
            // Not a sequence after all: drop the introducer, keep the rest as keys.
            _ => return Parsed::Skip(i),
        }
    }
    let Some(end) = end else {
        return Parsed::Incomplete;
    };
    let len = end + 1;
    let body = &b[2..end];
    if body.first() == Some(&b'<') {
        return match sgr_mouse(&body[1..], b[end]) {
            Some(ev) => Parsed::Event(ev, len),
            None => Parsed::Skip(len),
        };
    }
    let params: Vec<Option<u16>> = body
        .split(|&c| c == b';')
        .map(|p| std::str::from_utf8(p).ok().and_then(|s| s.parse().ok()))
        .collect();
    let first = params.first().copied().flatten();
    let mods = modifiers(params.get(1).copied().flatten());
    let code = match b[end] {
        b'~' if first == Some(200) => return Parsed::PasteStart(len),
        b'~' => first.and_then(tilde_key),
        b'Z' => return Parsed::Event(key(KeyCode::BackTab, KeyModifiers::SHIFT), len),
        c => cursor_key(c),
    };
    match code {
        Some(code) => Parsed::Event(key(code, mods), len),
        None => Parsed::Skip(len),
    }
}

/// SGR mouse report `Esc [ < button ; column ; row (M|m)`, 1-based positions.
fn sgr_mouse(body: &[u8], last: u8) -> Option<Event> {
    let text = std::str::from_utf8(body).ok()?;
    let mut nums = text.split(';').map(|p| p.parse::<u16>().ok());
    let (cb, cx, cy) = (nums.next()??, nums.next()??, nums.next()??);
    let mut modifiers = KeyModifiers::NONE;
    if cb & 4 != 0 {
        modifiers |= KeyModifiers::SHIFT;
    }
    if cb & 8 != 0 {
        modifiers |= KeyModifiers::ALT;
    }
    if cb & 16 != 0 {
        modifiers |= KeyModifiers::CONTROL;
    }
    let button = match cb & 3 {
        0 => MouseButton::Left,
        1 => MouseButton::Middle,
        _ => MouseButton::Right,
    };
    let kind = if cb & 64 != 0 {
        match cb & 3 {
            0 => MouseEventKind::ScrollUp,
            1 => MouseEventKind::ScrollDown,
            2 => MouseEventKind::ScrollLeft,
            _ => MouseEventKind::ScrollRight,
        }
    } else if cb & 32 != 0 {
        if cb & 3 == 3 {
            MouseEventKind::Moved
        } else {
            MouseEventKind::Drag(button)
        }
    } else if last == b'm' {
        MouseEventKind::Up(button)
    } else if last == b'M' {
        MouseEventKind::Down(button)
    } else {
        return None;
    };
    Some(Event::Mouse(MouseEvent {
        kind,
        column: cx.saturating_sub(1),
        row: cy.saturating_sub(1),
        modifiers,
    }))
}

#[cfg(test)]
mod tests;
