//! Byte-level BPE, replayed by hand: GPT-2's byte-to-character alphabet, the merge list of a
//! trained tokenizer, and the merges applied to one word in rank order, step by step.

/// The merges of a trained BPE, in rank order, read from its JSON form.
pub fn bpe_merges(tok: &tokenizers::Tokenizer) -> Vec<(String, String)> {
    let Ok(json) = tok.to_string(false) else {
        return vec![];
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) else {
        return vec![];
    };
    value["model"]["merges"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| match m {
                    serde_json::Value::String(s) => s
                        .split_once(' ')
                        .map(|(a, b)| (a.to_string(), b.to_string())),
                    serde_json::Value::Array(pair) => Some((
                        pair.first()?.as_str()?.to_string(),
                        pair.get(1)?.as_str()?.to_string(),
                    )),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// GPT-2's byte-to-character map: printable bytes stand for themselves, the rest are shifted
/// to 256 and up (so a space becomes `Ġ`).
pub fn byte_level(text: &str) -> Vec<String> {
    text.bytes().map(|b| byte_char(b).to_string()).collect()
}

/// One replay step: the pieces, and the merge (left, right, rank) that produced them.
pub type ReplayStep = (Vec<String>, Option<(String, String, usize)>);

/// The bytes behind a token written in GPT-2's byte-level alphabet (the inverse of
/// [`byte_level`]); characters outside it pass through as UTF-8.
pub fn byte_level_decode(token: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in token.chars() {
        match (0..=255u8).find(|b| byte_char(*b) == c) {
            Some(b) => out.push(b),
            None => out.extend(c.to_string().as_bytes()),
        }
    }
    out
}

/// A byte-level piece as the course shows bytes everywhere else: whole characters as
/// themselves, a space as `Ġ` (the mark the lesson teaches), other control bytes in GPT-2's
/// alphabet, and bytes that are only part of a character as `<0xE6>` — never as the alphabet's
/// stand-ins (`æ`), which look like real letters.
pub fn show_piece(piece: &str) -> String {
    let bytes = byte_level_decode(piece);
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match u8::try_from(u32::from(c)) {
                Ok(b) if b <= b' ' || b == 0x7F => out.push(byte_char(b)),
                _ => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("<0x{b:02X}>"));
        }
    }
    out
}

/// The character GPT-2's byte-level alphabet uses for one byte.
fn byte_char(b: u8) -> char {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    if printable(b) {
        return char::from(b);
    }
    let shifted = (0..=b).filter(|x| !printable(*x)).count() as u32;
    char::from_u32(255 + shifted).unwrap_or('?')
}

/// Replays BPE on one word: at each step the adjacent pair with the lowest merge rank joins.
/// Returns the pieces after each step and the merge (pair, rank) that made it.
pub fn replay(word: &str, merges: &[(String, String)]) -> Vec<ReplayStep> {
    let rank: std::collections::HashMap<(&str, &str), usize> = merges
        .iter()
        .enumerate()
        .map(|(i, (a, b))| ((a.as_str(), b.as_str()), i))
        .collect();
    let mut pieces = byte_level(word);
    let mut steps = vec![(pieces.clone(), None)];
    loop {
        let best = pieces
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| rank.get(&(w[0].as_str(), w[1].as_str())).map(|r| (*r, i)))
            .min();
        let Some((r, i)) = best else { break };
        let (a, b) = (pieces[i].clone(), pieces[i + 1].clone());
        pieces[i] = format!("{a}{b}");
        pieces.remove(i + 1);
        steps.push((pieces.clone(), Some((a, b, r))));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part1_text::shared::train_trio;
    use crate::labs::part1_text::tokenize::Algorithm;
    #[test]
    fn byte_level_shows_a_space_as_g_dot() {
        assert_eq!(byte_level(" a").join(""), "Ġa");
    }

    /// Regression: the replay showed the bytes of 東 (E6 9D B1) as GPT-2's stand-ins `æ Ŀ ±`
    /// while every other panel shows `<0xE6>`. Worked out by hand: byte_level("東") is the three
    /// stand-ins; alone each is part of a character, so `<0xNN>`; joined they are 東 again.
    #[test]
    fn pieces_show_partial_bytes_as_hex_and_whole_characters_as_text() {
        let stand_ins = byte_level("東");
        assert_eq!(stand_ins.join(""), "æĿ±");
        let shown: Vec<String> = stand_ins.iter().map(|p| show_piece(p)).collect();
        assert_eq!(shown, ["<0xE6>", "<0x9D>", "<0xB1>"]);
        assert_eq!(show_piece(&stand_ins.join("")), "東");
        assert_eq!(show_piece("Ġtoken"), "Ġtoken");
        assert_eq!(show_piece(&byte_level(" é")[..2].join("")), "Ġ<0xC3>");
        assert_eq!(show_piece(&byte_level("a\n").join("")), "aĊ");
    }

    #[test]
    fn replay_merges_lowest_rank_first() {
        let merges = vec![
            ("l".to_string(), "o".to_string()),
            ("lo".to_string(), "w".to_string()),
            ("e".to_string(), "r".to_string()),
        ];
        let steps = replay("lower", &merges);
        let last: Vec<String> = steps.last().unwrap().0.clone();
        assert_eq!(last, vec!["low", "er"]);
        assert_eq!(steps[1].1.as_ref().map(|m| m.2), Some(0));
        assert_eq!(steps.len(), 4);
    }

    #[test]
    fn trained_bpe_replay_ends_in_its_own_split() {
        let trio = train_trio(1000).unwrap();
        let (_, bpe) = trio.iter().find(|(a, _)| *a == Algorithm::Bpe).unwrap();
        let steps = replay(" attention", &bpe_merges(bpe));
        let ours: Vec<String> = steps.last().unwrap().0.clone();
        let theirs: Vec<String> = bpe
            .encode(" attention", false)
            .unwrap()
            .get_tokens()
            .to_vec();
        assert_eq!(ours, theirs);
    }
}
