//! The one sanitizer for text that comes from outside the program (course files, file names,
//! tokenizer pieces, standard input, the progress file) on its way to stdout or stderr.
//!
//! A terminal obeys control bytes wherever they appear: `ESC ] 52` writes the clipboard,
//! `ESC [ 2 J` clears the screen, and on many terminals the single character U+009B is a CSI
//! as well. So every C0 control, DEL and every C1 control (U+0080–U+009F) is shown as a
//! visible escape instead: `\x1b`, `\x7f`, `\u{9b}`. Printable text, including every other
//! Unicode character, passes unchanged.

use std::borrow::Cow;

/// Whether `c` is a character a terminal may act on: C0, DEL or C1.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// One value on one line (a title, a file name, a JSON value in a message): every control
/// is escaped, newlines and tabs too, so a value can neither act on the terminal nor fake
/// further lines of output.
pub fn field(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// Text meant to span lines (a rendered screen, a table): newlines and tabs stay, every
/// other control is escaped.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// JSON text from `serde_json`, which escapes C0 but leaves DEL and C1 raw: those become
/// `\u007f`-style escapes, which are valid JSON and decode to the same string.
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_control(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_control(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_control(c) && !keep(c) {
            let code = u32::from(c);
            if code < 0x80 {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_osc52_clear_screen_and_c1_csi() {
        let hostile = "T\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{9b}31m\u{7f}";
        assert_eq!(
            field(hostile),
            "T\\x1b]52;c;aGk=\\x07\\x1b[2J\\u{9b}31m\\x7f"
        );
    }

    #[test]
    fn field_escapes_newlines_and_lines_keeps_them() {
        assert_eq!(field("a\nb\tc"), "a\\x0ab\\x09c");
        assert_eq!(lines("a\nb\tc\u{1b}"), "a\nb\tc\\x1b");
    }

    #[test]
    fn printable_unicode_passes_unchanged_and_unborrowed() {
        let text = "naïve café, 東京, 🙂 ▁ Ġ";
        assert!(matches!(field(text), Cow::Borrowed(_)));
        // U+00A0 (no-break space) is the first character after C1 and is printable.
        assert_eq!(field("\u{a0}"), "\u{a0}");
    }

    #[test]
    fn json_escapes_stay_valid_json_for_the_same_string() {
        let original = "x\u{9b}y\u{7f}z";
        let encoded = serde_json::to_string(original).unwrap();
        let safe = json(&encoded);
        assert!(!safe.chars().any(is_control));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, original);
    }
}
