//! Glitch tokens: r50k tokens the course never produces, " SolidGoldMagikarp" across the
//! three encodings, and how each cuts numbers.

use crate::labs::fmt_count;
use crate::labs::part1_text::glitch::unused_tokens;
use crate::labs::part1_text::tokenize::{Pretrained, Token};
use crate::viz::kinds::part1_text::token_common::{count, strip, Pieces};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{Part, StripDetail};
use crate::viz::{Controls, Knobs, Panel, Visual};
use std::sync::OnceLock;

/// The `glitch` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "glitch",
    title: "Glitch tokens and odd splits",
    about: "unused: r50k tokens that the course's text never produces (long, odd ones first); magikarp: \" SolidGoldMagikarp\" in r50k against cl100k and o200k; numbers: how each tokenizer cuts numbers",
    params: &[ParamDef { name: "view", ty: ParamType::Choice { options: &GLITCH_VIEWS, default: "unused" }, doc: "the page shown first" }],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Glitch::new(p)?))
}

pub struct Glitch {
    view: usize,
    /// Each fixed text split by the three encodings, the first time its page is shown: kept
    /// (a few tokens) so the encodings themselves are not held or loaded again.
    magikarp: OnceLock<Vec<(Pretrained, Vec<Token>)>>,
    numbers: OnceLock<Vec<(Pretrained, Vec<Token>)>>,
}

/// `text` split by each of the three encodings, loaded together for the split.
fn split_by_all(text: &str) -> Vec<(Pretrained, Vec<Token>)> {
    Pretrained::ALL
        .map(Pretrained::load)
        .iter()
        .map(|e| (e.which(), e.encode(text)))
        .collect()
}

const GLITCH_VIEWS: [&str; 3] = ["unused", "magikarp", "numbers"];

impl Glitch {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        p.finish()?;
        Ok(Self {
            view,
            magikarp: OnceLock::new(),
            numbers: OnceLock::new(),
        })
    }
}

impl Controls for Glitch {
    fn declare(&self, k: &mut Knobs<Self>) {
        let views = GLITCH_VIEWS.iter().map(|v| (*v).to_string()).collect();
        k.choice("view", views, self.view, |g, i| g.view = i);
    }
}

impl Visual for Glitch {
    fn parts(&self) -> Vec<Part> {
        match self.view {
            0 => {
                let (unused, odd) = unused_tokens(10);
                let mut lines = vec![format!(
                    "Encoding the whole course with r50k uses {} of its 50,257 tokens; {} never appear.",
                    fmt_count((50_257 - unused) as f64),
                    fmt_count(unused as f64)
                )];
                lines.push("Some long never-used ones (id: token):".into());
                lines.extend(odd.iter().map(|(id, s)| format!("  {id}: {s:?}")));
                vec![Part::Text(lines)]
            }
            1 => {
                let text = " SolidGoldMagikarp";
                self.magikarp
                    .get_or_init(|| split_by_all(text))
                    .iter()
                    .map(|(p, tokens)| {
                        strip(
                            format!(
                                "{}: {} token{}",
                                p.name(),
                                tokens.len(),
                                if tokens.len() == 1 { "" } else { "s" }
                            ),
                            text,
                            tokens,
                            StripDetail::Ids,
                            Pieces::ByteLevel,
                        )
                    })
                    .collect()
            }
            _ => {
                let text = "12345 1234567 3.14159 2024-11-29";
                self.numbers
                    .get_or_init(|| split_by_all(text))
                    .iter()
                    .map(|(p, tokens)| {
                        strip(
                            format!("{}: {}", p.name(), count(tokens.len(), "token")),
                            text,
                            tokens,
                            StripDetail::None,
                            Pieces::ByteLevel,
                        )
                    })
                    .collect()
            }
        }
    }
}
