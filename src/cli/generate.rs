//! `llmf generate`: a prompt continued by the character-level GPT.

use super::train::{fail, say};
use super::Outcome;
use llmf::labs::lm::{self, io, sample, Filters, Model};
use llmf::outln;
use llmf::text::{output, sanitize};
use std::path::PathBuf;

/// The most characters one `llmf generate` writes: about ten pages, under a second of one
/// core for the shipped model. Each is kept with its top five alternatives until the end
/// (about 200 bytes each); `--tokens 1000000000` asked for 40 GB at once and aborted.
pub const MAX_TOKENS: usize = 20_000;

/// Temperatures below this sample greedily (as 0 does): dividing logits by a temperature
/// near 1e-38 overflows to infinity and the softmax gives NaN. At 0.001 a gap of 0.1 in
/// logits is already a factor e^100 in probability, so nothing is lost.
pub const TEMPERATURE_FLOOR: f64 = 1e-3;

#[derive(clap::Args)]
pub struct Args {
    /// The text to continue.
    pub prompt: String,
    /// A model file written by `llmf train`.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Softmax temperature, 0 to 100; 0 picks the most likely character every time, and
    /// so does any temperature below 0.001.
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,
    /// Keep only the K most likely characters (0: all).
    #[arg(long = "top-k", default_value_t = 0)]
    pub top_k: usize,
    /// Keep the fewest most likely characters whose probability reaches P (1: all).
    #[arg(long = "top-p", default_value_t = 1.0)]
    pub top_p: f64,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Characters to generate (at most 20000).
    #[arg(long, default_value_t = 200)]
    pub tokens: usize,
    /// Print JSON: every character with its probability and the top alternatives.
    #[arg(long)]
    pub json: bool,
}

/// The temperature sampled with, and why it differs from the one asked for.
pub fn bounded_temperature(asked: f64) -> (f64, Option<String>) {
    if asked > 0.0 && asked < TEMPERATURE_FLOOR {
        let why = format!(
            "--temperature {asked:e} is below {TEMPERATURE_FLOOR}: sampling greedily (the most \
             likely character every time), as --temperature 0 does"
        );
        (0.0, Some(why))
    } else {
        (asked, None)
    }
}

/// The characters generated, and why it is fewer than asked for.
pub fn bounded_tokens(asked: usize) -> (usize, Option<String>) {
    if asked > MAX_TOKENS {
        let why = format!(
            "--tokens {asked} is over the limit of {MAX_TOKENS} characters a run: generating \
             {MAX_TOKENS}"
        );
        (MAX_TOKENS, Some(why))
    } else {
        (asked, None)
    }
}

pub fn run(args: Args) -> Outcome {
    if !(0.0..=100.0).contains(&args.temperature) {
        return fail(format!(
            "--temperature {} is out of range (0 to 100; 0 is greedy)",
            args.temperature
        ));
    }
    if !(args.top_p > 0.0 && args.top_p <= 1.0) {
        return fail(format!(
            "--top-p {} is out of range (above 0, at most 1)",
            args.top_p
        ));
    }
    let (temperature, why) = bounded_temperature(args.temperature);
    why.into_iter().for_each(say);
    let (tokens, why) = bounded_tokens(args.tokens);
    why.into_iter().for_each(say);
    let loaded;
    let (model, name): (&Model, String) = match &args.model {
        Some(path) => {
            let origin = path.display().to_string();
            match io::read(path).and_then(|b| io::load_model(&b, &origin)) {
                Ok(m) => {
                    loaded = m;
                    (&loaded, origin)
                }
                Err(e) => return fail(format!("--model {e}")),
            }
        }
        None => match lm::base_model() {
            Ok(m) => (m, "built-in base model".into()),
            Err(e) => return fail(e),
        },
    };
    let unknown = model.vocab.unknown_chars(&args.prompt);
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|c| format!("{c:?}")).collect();
        say(format!(
            "the model's alphabet has no {}; read as the unknown symbol \u{FFFD}",
            list.join(", ")
        ));
    }
    let filters = Filters {
        temperature,
        top_k: args.top_k,
        top_p: args.top_p,
    };
    let mut rng = lm::Rng::new(args.seed);
    let out = match lm::threads::single_threaded(|| {
        sample::generate(model, &args.prompt, tokens, &filters, &mut rng)
    }) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if args.json {
        let tokens: Vec<serde_json::Value> = out
            .tokens
            .iter()
            .map(|t| {
                let top: Vec<serde_json::Value> = t
                    .top
                    .iter()
                    .map(|(c, p)| serde_json::json!({"char": c.to_string(), "prob": p}))
                    .collect();
                serde_json::json!({"char": t.ch.to_string(), "id": t.id, "prob": t.prob, "top": top})
            })
            .collect();
        let value = serde_json::json!({
            "model": name,
            "prompt": args.prompt,
            "temperature": temperature,
            "top_k": args.top_k,
            "top_p": args.top_p,
            "seed": args.seed,
            "text": out.text(),
            "tokens": tokens,
        });
        // serde_json leaves DEL, C1 and bidi controls raw: escape them too.
        outln!("{}", sanitize::json(&value.to_string()));
    } else {
        outln!(
            "{}{}",
            sanitize::lines(&args.prompt),
            sanitize::lines(&out.text())
        );
    }
    output::flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_bounded_and_says_so() {
        assert_eq!(bounded_tokens(200), (200, None));
        let (n, why) = bounded_tokens(1_000_000_000);
        assert_eq!(n, MAX_TOKENS);
        assert!(why.unwrap().contains("over the limit of 20000"));
        assert_eq!(bounded_temperature(0.8), (0.8, None));
        assert_eq!(bounded_temperature(0.0), (0.0, None));
        for tiny in [1e-39, 5e-324, 9.9e-4] {
            let (t, why) = bounded_temperature(tiny);
            assert_eq!(t, 0.0);
            assert!(why.unwrap().contains("sampling greedily"));
        }
    }
}
