//! `llmf attention`: attention weights of a typed sentence as tables or JSON, for scripts.

use llmf::{errln, out, outln, sanitize};
use std::process::ExitCode;

pub fn attention_command(
    text: &str,
    heads: usize,
    causal: bool,
    seed: u64,
    d_k: usize,
    json: bool,
) -> ExitCode {
    use llmf::labs::heads::{random_head_weights, words};
    let input = if text == "-" {
        // 64 words never need more than this; a stream without end is cut off here.
        let mut buf = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin().lock(), 1 << 20),
            &mut buf,
        );
        if let Err(e) = read {
            errln!("llmf: cannot read standard input: {e}");
            return ExitCode::from(1);
        }
        String::from_utf8_lossy(&buf).into_owned()
    } else {
        text.to_string()
    };
    let tokens = words(&input, 64);
    if tokens.is_empty() {
        errln!(
            "llmf: no words to attend over: give a sentence, e.g. llmf attention \"the cat sat\""
        );
        return ExitCode::from(1);
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
        return ExitCode::SUCCESS;
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
    ExitCode::SUCCESS
}
