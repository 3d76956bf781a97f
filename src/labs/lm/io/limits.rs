//! The limits a model file, a checkpoint's recipe and an alphabet are held to: a file is
//! input from anyone, so its declared shape is checked before anything is allocated for it.

use crate::labs::lm::config::{Config, TrainConfig};

/// The longest context a model file may declare (the presets use 16 to 64).
pub const MAX_CONTEXT: usize = 1024;
/// The widest model (the presets use 16 to 96).
pub const MAX_D_MODEL: usize = 1024;
/// The most layers (the presets use 1 or 2).
pub const MAX_LAYERS: usize = 32;
/// The most attention heads (the presets use 2 or 4).
pub const MAX_HEADS: usize = 32;
/// The largest alphabet (the course's corpus gives 119 symbols).
pub const MAX_VOCAB: usize = 65_536;
/// The most parameters (16 Mi, 64 MiB of f32 weights; the shipped model has 241,440).
pub const MAX_PARAMS: usize = 16 << 20;

/// Checks a model's shape against the limits, dimension by dimension first (so the
/// parameter count cannot overflow), then the total.
pub fn check_shape(c: &Config) -> Result<(), String> {
    let dims = [
        ("context", c.context, MAX_CONTEXT),
        ("d_model", c.d_model, MAX_D_MODEL),
        ("layers", c.layers, MAX_LAYERS),
        ("heads", c.heads, MAX_HEADS),
        ("vocab", c.vocab, MAX_VOCAB),
    ];
    for (what, value, limit) in dims {
        if value > limit {
            return Err(format!(
                "{what} {value} is over llmf's limit of {limit} for a model file (the shipped \
                 model has context 64, d_model 96, 2 layers, 4 heads, 119 symbols)"
            ));
        }
    }
    c.check()?;
    let params = c.param_count();
    if params > MAX_PARAMS {
        return Err(format!(
            "{params} parameters is over llmf's limit of {MAX_PARAMS} for a model file (the \
             shipped model has 241,440)"
        ));
    }
    Ok(())
}

/// The largest batch a checkpoint's recipe may ask for (the presets use 4 to 16).
pub const MAX_BATCH: usize = 1024;
/// The most steps a checkpoint's recipe may ask for (the presets use 20 to 2,500).
pub const MAX_STEPS: usize = 10_000_000;

/// Checks a checkpoint's recipe, which sizes what resuming allocates (a batch of 10¹²
/// windows would abort) and steers the optimizer (a NaN learning rate ruins every weight).
pub fn check_recipe(r: &TrainConfig) -> Result<(), String> {
    let counts = [
        ("batch", r.batch, MAX_BATCH),
        ("steps", r.steps, MAX_STEPS),
        ("warmup", r.warmup, MAX_STEPS),
        ("eval_chars", r.eval_chars, 1 << 24),
        ("sample_chars", r.sample_chars, 20_000),
    ];
    for (what, value, limit) in counts {
        if value > limit {
            return Err(format!("{what} {value} is over llmf's limit of {limit}"));
        }
    }
    if r.batch == 0 {
        return Err("batch 0: a step needs at least one window".into());
    }
    let rates = [
        ("lr", r.lr),
        ("min_lr_frac", r.min_lr_frac),
        ("weight_decay", r.weight_decay),
        ("beta1", r.beta1),
        ("beta2", r.beta2),
        ("eps", r.eps),
    ];
    for (what, value) in rates {
        if !value.is_finite() || !(0.0..=10.0).contains(&value) {
            return Err(format!("{what} {value} is outside 0 to 10"));
        }
    }
    Ok(())
}

/// Checks an alphabet: no control character but the newline (text's line break), which a
/// model would print straight to the terminal.
pub fn check_alphabet(alphabet: &str) -> Result<(), String> {
    match alphabet
        .chars()
        .find(|&c| c != '\n' && crate::text::sanitize::is_control(c))
    {
        Some(c) => Err(format!(
            "holds the control character U+{:04X}, which would act on the terminal when \
             generated; only the newline is allowed",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(vocab: usize, d_model: usize, layers: usize, heads: usize, context: usize) -> Config {
        Config {
            vocab,
            d_model,
            layers,
            heads,
            context,
        }
    }

    #[test]
    fn shapes_within_every_limit_pass_and_each_limit_is_named() {
        assert!(check_shape(&shape(119, 96, 2, 4, 64)).is_ok());
        let over = [
            (shape(119, 96, 2, 4, MAX_CONTEXT + 1), "context"),
            (shape(119, 1 << 62, 2, 4, 64), "d_model"),
            (shape(119, 96, MAX_LAYERS + 1, 4, 64), "layers"),
            (shape(119, 96, 2, MAX_HEADS + 1, 64), "heads"),
            (shape(MAX_VOCAB + 1, 96, 2, 4, 64), "vocab"),
            (shape(119, 1024, 32, 32, 1024), "parameters"),
        ];
        for (config, what) in over {
            let e = check_shape(&config).unwrap_err();
            assert!(e.contains(what) && e.contains("limit"), "{e}");
        }
    }

    #[test]
    fn a_checkpoints_recipe_is_bounded() {
        let good = crate::labs::lm::preset("base").unwrap().train;
        assert!(check_recipe(&good).is_ok());
        let bad = [
            TrainConfig {
                batch: 1 << 40,
                ..good.clone()
            },
            TrainConfig {
                batch: 0,
                ..good.clone()
            },
            TrainConfig {
                lr: f64::NAN,
                ..good.clone()
            },
            TrainConfig {
                sample_chars: usize::MAX,
                ..good.clone()
            },
        ];
        for r in bad {
            assert!(check_recipe(&r).is_err(), "{r:?}");
        }
    }

    #[test]
    fn the_alphabet_may_hold_a_newline_but_no_other_control() {
        assert!(check_alphabet("\nab\u{FFFD}").is_ok());
        for c in ['\u{1b}', '\t', '\u{7f}', '\u{85}', '\u{9b}'] {
            let e = check_alphabet(&format!("a{c}\u{FFFD}")).unwrap_err();
            assert!(e.contains(&format!("U+{:04X}", u32::from(c))), "{e}");
        }
    }
}
