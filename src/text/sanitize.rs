//! The one sanitizer for text that comes from outside the program (course files, file names,
//! tokenizer pieces, standard input, the progress file) on its way to stdout or stderr.
//!
//! A terminal obeys control bytes wherever they appear: `ESC ] 52` writes the clipboard,
//! `ESC [ 2 J` clears the screen, and on many terminals the single character U+009B is a CSI
//! as well. So every C0 control, DEL and every C1 control (U+0080–U+009F) is shown as a
//! visible escape instead: `\x1b`, `\x7f`, `\u{9b}`. Printable text, including every other
//! Unicode character, passes unchanged.
//!
//! One-line values ([`field`], [`name`]) also show the bidirectional controls (U+202A–202E,
//! U+2066–2069, U+200E/F, U+061C) as escapes: they draw nothing yet reorder the rest of the
//! line, so `evil\u{202e}txt.exe` would read as `evilexe.txt`. [`name`], for the names people
//! choose (students in a class report), also shows the characters that draw nothing at all
//! (zero-width spaces and joiners, the soft hyphen, U+FEFF), so two look-alike names differ
//! on screen.

use std::borrow::Cow;

/// Whether `c` is a character a terminal may act on: C0, DEL or C1.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Whether `c` is a bidirectional control: an embedding, override or isolate, or a mark.
pub fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
    )
}

/// Whether `c` draws nothing and takes no cell: zero-width space, joiners, word joiner and
/// invisible operators, the soft hyphen, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// A name someone chose, on one line: as [`field`], and characters that draw nothing are
/// shown as escapes too, so `bob` and `b\u{200b}ob` look different.
pub fn name(text: &str) -> Cow<'_, str> {
    escape_when(text, |c| is_control(c) || is_bidi(c) || is_invisible(c))
}

/// One value on one line (a title, a file name, a JSON value in a message): every control
/// is escaped, newlines and tabs too, so a value can neither act on the terminal nor fake
/// further lines of output.
pub fn field(text: &str) -> Cow<'_, str> {
    escape_when(text, |c| is_control(c) || is_bidi(c))
}

/// Text meant to span lines (a rendered screen, a table): newlines and tabs stay, every
/// other control is escaped.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// JSON text from `serde_json`, which escapes C0 but leaves DEL and C1 raw: those become
/// `\u007f`-style escapes, which are valid JSON and decode to the same string. Bidirectional
/// controls and characters that draw nothing are escaped the same way, so a person reading
/// the JSON in a terminal sees them; a program reading it gets the same string. Newlines and
/// tabs stay: serde_json escapes them inside strings, so outside strings they are only the
/// layout of pretty-printed JSON.
pub fn json(text: &str) -> Cow<'_, str> {
    let hidden =
        |c: char| (is_control(c) && c != '\n' && c != '\t') || is_bidi(c) || is_invisible(c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    escape_when(text, |c| is_control(c) && !keep(c))
}

/// `text` with every character `hide` picks shown as an escape: `\x1b` below U+0080, else
/// `\u{202e}`.
fn escape_when(text: &str, hide: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&hide) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hide(c) {
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
    fn bidi_controls_show_in_fields_and_invisible_characters_in_names() {
        assert_eq!(field("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(field("a\u{2066}b\u{200f}"), "a\\u{2066}b\\u{200f}");
        // A zero-width joiner belongs in emoji sequences: a field keeps it, a name shows it.
        assert_eq!(field("b\u{200d}ob"), "b\u{200d}ob");
        assert_eq!(name("b\u{200b}ob\u{feff}"), "b\\u{200b}ob\\u{feff}");
        assert_eq!(name("\u{202e}x\u{1b}"), "\\u{202e}x\\x1b");
        // Look-alike letters are printable: they pass, and the class report lists both.
        assert_eq!(name("\u{430}lice"), "\u{430}lice");
        // Lines (screens of prose) keep right-to-left text as it is.
        assert_eq!(
            lines("\u{5e9}\u{5dc}\u{5d5}\u{5dd}"),
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd}"
        );
    }

    #[test]
    fn json_escapes_bidi_and_invisible_characters_and_decodes_the_same() {
        let original = "a\u{202e}b\u{200b}c\u{9d}";
        let encoded = serde_json::to_string(original).unwrap();
        let safe = json(&encoded);
        assert!(safe.contains("\\u202e") && safe.contains("\\u200b") && safe.contains("\\u009d"));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn pretty_json_keeps_its_layout_and_stays_valid() {
        let value = serde_json::json!({"name": "a\u{9b}\nb", "n": [1, 2]});
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&pretty);
        assert!(safe.contains("\n  \"n\""), "{safe}");
        assert!(!safe.chars().any(|c| is_control(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
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
