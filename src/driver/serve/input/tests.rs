use super::*;

fn parse_all(bytes: &[u8]) -> Vec<Event> {
    let mut p = InputParser::new();
    let mut out = Vec::new();
    p.feed(bytes, &mut out);
    p.flush(&mut out);
    out
}

fn k(code: KeyCode) -> Event {
    key(code, KeyModifiers::NONE)
}

fn ch(c: char) -> Event {
    k(KeyCode::Char(c))
}

fn ctrl(c: char) -> Event {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

#[test]
fn plain_keys_and_controls() {
    assert_eq!(
        parse_all(b"a\r\t\x7f\x08\x03 "),
        vec![
            ch('a'),
            k(KeyCode::Enter),
            k(KeyCode::Tab),
            k(KeyCode::Backspace),
            k(KeyCode::Backspace),
            ctrl('c'),
            ch(' '),
        ]
    );
    // Capitals come with Shift, as crossterm reports them.
    assert_eq!(
        parse_all(b"G"),
        vec![key(KeyCode::Char('G'), KeyModifiers::SHIFT)]
    );
    // 0x1c..0x1f are Ctrl-4..Ctrl-7; 0x00 is Ctrl-Space.
    assert_eq!(
        parse_all(b"\x1c\x1f\x00"),
        vec![ctrl('4'), ctrl('7'), ctrl(' ')]
    );
    // Ctrl-A is 0x01, Ctrl-Z is 0x1a.
    assert_eq!(parse_all(b"\x01\x1a"), vec![ctrl('a'), ctrl('z')]);
}

#[test]
fn lone_esc_waits_for_flush_then_is_the_key() {
    let mut p = InputParser::new();
    let mut out = Vec::new();
    p.feed(b"\x1b", &mut out);
    assert!(out.is_empty());
    assert!(p.has_pending());
    p.flush(&mut out);
    assert_eq!(out, vec![k(KeyCode::Esc)]);
    assert!(!p.has_pending());
}

#[test]
fn double_esc_is_esc_then_whatever_follows() {
    assert_eq!(
        parse_all(b"\x1b\x1b[A"),
        vec![k(KeyCode::Esc), k(KeyCode::Up)]
    );
}

#[test]
fn arrows_home_end_pages_in_both_encodings() {
    assert_eq!(
        parse_all(b"\x1b[A\x1b[B\x1b[C\x1b[D\x1bOA\x1bOD"),
        vec![
            k(KeyCode::Up),
            k(KeyCode::Down),
            k(KeyCode::Right),
            k(KeyCode::Left),
            k(KeyCode::Up),
            k(KeyCode::Left),
        ]
    );
    assert_eq!(
        parse_all(b"\x1b[H\x1b[F\x1bOH\x1bOF\x1b[1~\x1b[4~\x1b[7~\x1b[8~"),
        vec![
            k(KeyCode::Home),
            k(KeyCode::End),
            k(KeyCode::Home),
            k(KeyCode::End),
            k(KeyCode::Home),
            k(KeyCode::End),
            k(KeyCode::Home),
            k(KeyCode::End),
        ]
    );
    assert_eq!(
        parse_all(b"\x1b[5~\x1b[6~\x1b[3~\x1b[2~"),
        vec![
            k(KeyCode::PageUp),
            k(KeyCode::PageDown),
            k(KeyCode::Delete),
            k(KeyCode::Insert),
        ]
    );
}

#[test]
fn function_keys() {
    // xterm: F1-F4 as SS3 P-S, F5 = 15~, F6-F10 = 17~-21~, F11/F12 = 23~/24~.
    assert_eq!(
        parse_all(b"\x1bOP\x1bOS\x1b[15~\x1b[17~\x1b[21~\x1b[23~\x1b[24~\x1b[11~"),
        vec![
            k(KeyCode::F(1)),
            k(KeyCode::F(4)),
            k(KeyCode::F(5)),
            k(KeyCode::F(6)),
            k(KeyCode::F(10)),
            k(KeyCode::F(11)),
            k(KeyCode::F(12)),
            k(KeyCode::F(1)),
        ]
    );
}

#[test]
fn modifier_parameters() {
    // 5 = 1 + Ctrl(4); 2 = 1 + Shift(1); 4 = 1 + Shift(1) + Alt(2).
    assert_eq!(
        parse_all(b"\x1b[1;5A\x1b[1;2D\x1b[5;4~"),
        vec![
            key(KeyCode::Up, KeyModifiers::CONTROL),
            key(KeyCode::Left, KeyModifiers::SHIFT),
            key(KeyCode::PageUp, KeyModifiers::SHIFT | KeyModifiers::ALT),
        ]
    );
    assert_eq!(
        parse_all(b"\x1b[Z"),
        vec![key(KeyCode::BackTab, KeyModifiers::SHIFT)]
    );
}

#[test]
fn esc_before_a_key_is_alt() {
    assert_eq!(
        parse_all(b"\x1bx\x1b\x01"),
        vec![
            key(KeyCode::Char('x'), KeyModifiers::ALT),
            key(
                KeyCode::Char('a'),
                KeyModifiers::ALT | KeyModifiers::CONTROL
            ),
        ]
    );
}

#[test]
fn utf8_characters_whole_and_split() {
    // é = C3 A9, € = E2 82 AC, 🦀 = F0 9F A6 80.
    let text = "é€🦀".as_bytes();
    assert_eq!(parse_all(text), vec![ch('é'), ch('€'), ch('🦀')]);
    let mut p = InputParser::new();
    let mut out = Vec::new();
    for b in text {
        p.feed(std::slice::from_ref(b), &mut out);
    }
    assert_eq!(out, vec![ch('é'), ch('€'), ch('🦀')]);
    assert!(!p.has_pending());
}

#[test]
fn invalid_utf8_is_skipped_and_what_follows_still_counts() {
    // A stray continuation byte, a lead byte cut by an ASCII one, and 0xff.
    assert_eq!(
        parse_all(b"\x80a\xc3b\xffc"),
        vec![ch('a'), ch('b'), ch('c')]
    );
    // A cut character at the very end never completes: flush drops it.
    assert_eq!(parse_all(b"z\xe2\x82"), vec![ch('z')]);
}

#[test]
fn every_split_of_a_mixed_stream_gives_the_same_events() {
    let stream: &[u8] =
        b"q\x1b[A\x1b[1;5C\x1bOP\xc3\xa9\x1b[200~pasted \xe2\x82\xac text\x1b[201~\x1b[6~\x1b[<64;10;5M\r";
    let whole = parse_all(stream);
    assert_eq!(whole.len(), 9, "{whole:?}");
    for cut in 1..stream.len() {
        let mut p = InputParser::new();
        let mut out = Vec::new();
        p.feed(&stream[..cut], &mut out);
        p.feed(&stream[cut..], &mut out);
        assert_eq!(out, whole, "split at byte {cut}");
    }
    // And in single bytes.
    let mut p = InputParser::new();
    let mut out = Vec::new();
    for b in stream {
        p.feed(std::slice::from_ref(b), &mut out);
    }
    assert_eq!(out, whole);
}

#[test]
fn bracketed_paste_is_one_event_with_its_text() {
    assert_eq!(
        parse_all(b"a\x1b[200~hello\r\nworld\x1b[201~b"),
        vec![ch('a'), Event::Paste("hello\r\nworld".into()), ch('b')]
    );
    // An Esc inside a paste is text, not a key; a flush mid-paste changes nothing.
    let mut p = InputParser::new();
    let mut out = Vec::new();
    p.feed(b"\x1b[200~x\x1b[A", &mut out);
    p.flush(&mut out);
    assert!(out.is_empty());
    p.feed(b"y\x1b[201", &mut out);
    p.feed(b"~", &mut out);
    assert_eq!(out, vec![Event::Paste("x\x1b[Ay".into())]);
}

#[test]
fn a_huge_paste_is_cut_at_the_limit() {
    let mut p = InputParser::new();
    let mut out = Vec::new();
    p.feed(b"\x1b[200~", &mut out);
    let chunk = vec![b'x'; 10_000];
    for _ in 0..20 {
        p.feed(&chunk, &mut out);
    }
    p.feed(b"\x1b[201~", &mut out);
    match out.as_slice() {
        [Event::Paste(text)] => assert_eq!(text.len(), PASTE_LIMIT),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_and_overlong_sequences_are_dropped() {
    // An unknown final byte, a kitty-style report, a stray paste end.
    assert_eq!(parse_all(b"\x1b[99~\x1b[97u\x1b[201~a"), vec![ch('a')]);
    // A sequence longer than any key's is dropped, not kept waiting for its end.
    let mut p = InputParser::new();
    let mut out = Vec::new();
    let mut junk = b"\x1b[".to_vec();
    junk.extend(b"1;".repeat(100));
    p.feed(&junk, &mut out);
    assert!(out.is_empty());
    assert!(!p.has_pending());
    p.feed(b"b", &mut out);
    assert_eq!(out, vec![ch('b')]);
}

#[test]
fn a_cut_sequence_flushed_reads_as_its_keys() {
    let mut p = InputParser::new();
    let mut out = Vec::new();
    p.feed(b"\x1b[", &mut out);
    p.flush(&mut out);
    assert_eq!(out, vec![k(KeyCode::Esc), ch('[')]);
}

#[test]
fn sgr_mouse_wheel_and_clicks() {
    let at = |kind, column, row| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    assert_eq!(
        parse_all(b"\x1b[<64;10;5M\x1b[<65;1;1M\x1b[<0;3;4M\x1b[<0;3;4m"),
        vec![
            at(MouseEventKind::ScrollUp, 9, 4),
            at(MouseEventKind::ScrollDown, 0, 0),
            at(MouseEventKind::Down(MouseButton::Left), 2, 3),
            at(MouseEventKind::Up(MouseButton::Left), 2, 3),
        ]
    );
    // A report with a missing number is dropped.
    assert_eq!(parse_all(b"\x1b[<64;10M"), vec![]);
}
