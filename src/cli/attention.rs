//! `llmf attention`: attention weights of a typed sentence as tables or JSON, for scripts.

use super::{Failure, Outcome};
use llmf::labs::part3_transformer::heads::{random_head_weights, words};
use llmf::text::sanitize;
use llmf::{out, outln};

#[derive(clap::Args)]
pub struct Args {
    /// The text, or - to read standard input. Words are split at spaces (at most 64).
    text: String,
    /// Number of heads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    heads: u16,
    /// Hide future tokens (causal mask).
    #[arg(long)]
    causal: bool,
    /// Seed of the random projections.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Width of each head's queries and keys.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    d_k: u16,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Outcome {
    let (text, heads, causal, seed, json) = (
        args.text.as_str(),
        usize::from(args.heads),
        args.causal,
        args.seed,
        args.json,
    );
    let d_k = usize::from(args.d_k);
    let input = if text == "-" {
        // 64 words never need more than this; a stream without end is cut off here.
        let mut buf = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin().lock(), 1 << 20),
            &mut buf,
        );
        read.map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
        String::from_utf8_lossy(&buf).into_owned()
    } else {
        text.to_string()
    };
    let tokens = words(&input, 64);
    if tokens.is_empty() {
        return Err(Failure::new(
            "no words to attend over: give a sentence, e.g. llmf attention \"the cat sat\"",
        ));
    }
    let weights = random_head_weights(&tokens, heads, d_k, seed, causal);
    if json {
        let heads_json: Vec<Vec<Vec<f64>>> = weights
            .iter()
            .map(|w| w.rows().into_iter().map(|r| r.to_vec()).collect())
            .collect();
        let out = serde_json::json!({
            "tokens": tokens,
            "seed": seed,
            "d_k": d_k,
            "causal": causal,
            "weights_are": "seeded random projections, not a trained model",
            "heads": heads_json,
        });
        outln!("{}", sanitize::json(&out.to_string()));
        return Ok(());
    }
    // Words come from the user's text: shown escaped, and measured as shown.
    let shown: Vec<String> = tokens
        .iter()
        .map(|t| sanitize::field(t).into_owned())
        .collect();
    let width = shown
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(1)
        .max(6);
    for (h, w) in weights.iter().enumerate() {
        outln!(
            "head {} of {heads} (seeded random projections, seed {seed}, d_k {d_k}{}): rows are queries",
            h + 1,
            if causal { ", causal" } else { "" }
        );
        out!("{:width$}", "");
        for t in &shown {
            out!(" {t:>width$}");
        }
        outln!();
        for (i, row) in w.rows().into_iter().enumerate() {
            out!("{:width$}", shown[i]);
            for v in row {
                out!(" {v:>width$.3}");
            }
            outln!();
        }
        outln!();
    }
    Ok(())
}
