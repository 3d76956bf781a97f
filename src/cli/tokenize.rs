//! `llmf tokenize`: splits text for scripts, streamed so a large input never holds every
//! token's text (let alone a JSON tree of them) in memory at once.
//!
//! Memory: the embedded encodings keep the input and 4 bytes a token (at most 5 times the
//! input), and take up to 64 MiB. The `tokenizers` library keeps about 100 bytes a token
//! for the trained and file tokenizers, so those take up to 4 MiB. Larger inputs are
//! refused with the limit named.

use super::{Failure, Outcome};
use llmf::labs::part1_text::tokenize::{corpus, load_file, train, Algorithm, Pretrained};
use llmf::text::safe_read::human;
use llmf::text::sanitize;
use llmf::{errln, outln};
use std::io::{Read, Write};
use std::path::Path;

#[derive(clap::Args)]
pub struct Args {
    /// The text, or - to read standard input.
    text: Option<String>,
    /// bpe, wordpiece or unigram (trained on the course's text), r50k, cl100k, o200k, or
    /// the path of a tokenizer.json.
    #[arg(long, default_value = "r50k")]
    tokenizer: String,
    /// Vocabulary size for the tokenizers trained here, 300 to 8000 (the range the
    /// lessons' panels offer and the course's text can train).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(300..=8000))]
    vocab: u32,
    /// List the tokenizer names.
    #[arg(long)]
    list: bool,
    /// Print JSON instead of lines.
    #[arg(long)]
    json: bool,
}

/// The most input the embedded encodings (r50k, cl100k, o200k) take.
pub const PRETRAINED_LIMIT: u64 = 64 << 20;
/// The most input the trained and file tokenizers take.
pub const LIBRARY_LIMIT: u64 = 4 << 20;

/// One token on its way out: borrowed where the tokenizer keeps its text.
struct Piece<'a> {
    text: std::borrow::Cow<'a, str>,
    id: u32,
    start: usize,
    end: usize,
}

pub fn run(args: Args) -> Outcome {
    let (text, name, json) = (args.text.as_deref(), args.tokenizer.as_str(), args.json);
    let vocab = args.vocab as usize;
    if args.list {
        for a in Algorithm::ALL {
            outln!(
                "{:<10} trained here on the course's own text (--vocab sets its size)",
                a.name()
            );
        }
        for p in Pretrained::ALL {
            outln!("{:<10} {}", p.name(), p.describe());
        }
        outln!("{:<10} any tokenizer.json, by path", "FILE");
        return Ok(());
    }
    let Some(text) = text else {
        return Err(Failure::usage(
            "give the text to split, or - to read standard input (see --help)",
        ));
    };
    let pretrained = Pretrained::ALL.into_iter().find(|p| p.name() == name);
    let algorithm = Algorithm::ALL.into_iter().find(|a| a.name() == name);
    if pretrained.is_none() && algorithm.is_none() && !Path::new(name).exists() {
        return Err(Failure::new(format!(
            "no tokenizer \"{name}\": use one of `llmf tokenize --list` or the path of a tokenizer.json"
        )));
    }
    let limit = if pretrained.is_some() {
        PRETRAINED_LIMIT
    } else {
        LIBRARY_LIMIT
    };
    let input = read_input(text, limit, name)?;
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    let written = if let Some(p) = pretrained {
        let tokens = p.encode_lazy(&input);
        let count = tokens.len();
        write_all(
            &mut out,
            name,
            count,
            tokens.map(|t| Piece {
                text: t.text.into(),
                id: t.id,
                start: t.start,
                end: t.end,
            }),
            json,
        )
    } else {
        let tok = match algorithm {
            Some(a) => train(a, vocab, &corpus()),
            None => load_file(Path::new(name)),
        };
        let enc = tok.and_then(|t| {
            t.encode(input.as_str(), false)
                .map_err(|e| format!("encoding failed: {e}"))
        })?;
        let pieces = enc
            .get_tokens()
            .iter()
            .zip(enc.get_ids())
            .zip(enc.get_offsets())
            .map(|((t, id), (s, e))| Piece {
                text: t.as_str().into(),
                id: *id,
                start: *s,
                end: *e,
            });
        write_all(&mut out, name, enc.len(), pieces, json)
    };
    match written.and_then(|n| out.flush().map(|()| n)) {
        Ok(count) => {
            if !json {
                errln!(
                    "{count} token{} ({})",
                    if count == 1 { "" } else { "s" },
                    sanitize::field(name)
                );
            }
            Ok(())
        }
        // The reader went away (`| head`): nothing is wrong.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(format!("cannot write the tokens: {e}"))),
    }
}

/// The text from the command line, or standard input for `-`, refused past `limit` bytes.
fn read_input(text: &str, limit: u64, name: &str) -> Result<String, String> {
    let too_large = || {
        format!(
            "the input is larger than {}, the most `llmf tokenize` takes with {} ({} with r50k, cl100k and o200k, {} with the others): split it",
            human(limit),
            sanitize::field(name),
            human(PRETRAINED_LIMIT),
            human(LIBRARY_LIMIT)
        )
    };
    if text != "-" {
        if text.len() as u64 > limit {
            return Err(too_large());
        }
        return Ok(text.to_string());
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Writes every token, as lines or as one JSON object (keys in the order `serde_json`
/// always printed them: sorted), and returns the count.
fn write_all<'a>(
    out: &mut impl Write,
    name: &str,
    count: usize,
    pieces: impl Iterator<Item = Piece<'a>>,
    json: bool,
) -> std::io::Result<usize> {
    if !json {
        for p in pieces {
            // Debug formatting escapes every control character.
            writeln!(out, "{:?}\t{}\t{}..{}", p.text, p.id, p.start, p.end)?;
        }
        return Ok(count);
    }
    let quoted = |s: &str| {
        let q = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        sanitize::json(&q).into_owned()
    };
    write!(
        out,
        "{{\"count\":{count},\"tokenizer\":{},\"tokens\":[",
        quoted(name)
    )?;
    for (i, p) in pieces.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(
            out,
            "{{\"end\":{},\"id\":{},\"start\":{},\"text\":{}}}",
            p.end,
            p.id,
            p.start,
            quoted(&p.text)
        )?;
    }
    writeln!(out, "]}}")?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmf::labs::part1_text::tokenize::show_bytes;

    #[test]
    fn streamed_json_matches_what_serde_json_builds() {
        let text = "Hi \u{1b}[2J there";
        let r50k = Pretrained::R50k.load();
        let tokens = r50k.encode(text);
        let mut streamed = Vec::new();
        let pieces = r50k.encode_lazy(text).map(|t| Piece {
            text: t.text.into(),
            id: t.id,
            start: t.start,
            end: t.end,
        });
        write_all(&mut streamed, "r50k", tokens.len(), pieces, true).unwrap();
        let list: Vec<serde_json::Value> = tokens
            .iter()
            .map(
                |t| serde_json::json!({"text": t.text, "id": t.id, "start": t.start, "end": t.end}),
            )
            .collect();
        let whole = serde_json::json!({"tokenizer": "r50k", "count": tokens.len(), "tokens": list});
        assert_eq!(String::from_utf8(streamed).unwrap(), format!("{whole}\n"));
    }

    #[test]
    fn show_bytes_is_the_text_of_a_piece_cut_mid_character() {
        // "é" is C3 A9; its first byte alone is not UTF-8.
        assert_eq!(show_bytes(&[0xC3]), "<0xC3>");
    }
}
