//! The registry of visualizer kinds: what each kind is called, what it shows, which parameters
//! a lesson may give it (with their ranges and defaults, written once here), and how to build
//! it. `llmf check`, the builder and the parameter tables of `lessons/README.md` all read it,
//! so they cannot disagree.

use super::lab::Lab;
use super::params::{ParamResult, Params};
use super::Panel;

/// One kind of visualizer, as a lesson names it in a ```` ```viz ```` block.
pub struct KindDef {
    /// The name lessons write: `"kind": "softmax"`.
    pub name: &'static str,
    /// A plain-language title, shown above the panel instead of the internal name.
    pub title: &'static str,
    /// What the learner does with it, one sentence or two (for `lessons/README.md`).
    pub about: &'static str,
    /// Every parameter the kind reads, in the order the table lists them.
    pub params: &'static [ParamDef],
    /// Builds the kind from parameters already checked against `params`.
    pub build: fn(Params) -> ParamResult<Box<dyn Panel>>,
}

impl KindDef {
    /// The parameter called `name`, if the kind declares one.
    pub fn param(&self, name: &str) -> Option<&'static ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// One parameter: its name, what values it takes (with the default), and a one-line doc.
pub struct ParamDef {
    pub name: &'static str,
    pub ty: ParamType,
    pub doc: &'static str,
}

/// What values a parameter takes. Each variant carries its own default, so the range and the
/// default live here and nowhere else.
pub enum ParamType {
    /// A whole number in `min..=max`.
    Int {
        min: i64,
        max: i64,
        default: i64,
    },
    /// A power of two in `min..=max`.
    PowerOfTwo {
        min: i64,
        max: i64,
        default: i64,
    },
    /// A number in `min..=max`.
    Float {
        min: f64,
        max: f64,
        default: f64,
    },
    Bool {
        default: bool,
    },
    /// A whole number that must be one of `allowed`; read as its index there.
    IntAmong {
        allowed: &'static [usize],
        default: usize,
    },
    /// One of `options` (a JSON string, or a number written as one of them); read as its
    /// index.
    Choice {
        options: &'static [&'static str],
        default: &'static str,
    },
    /// A list of `len.0..=len.1` numbers, each in `range`.
    Floats {
        len: (usize, usize),
        range: (f64, f64),
        default: &'static [f64],
    },
    /// A list of `len.0..=len.1` words (non-empty, at most 16 characters each). An empty
    /// default means the kind makes its own (softmax's labels follow the logits).
    Words {
        len: (usize, usize),
        default: &'static [&'static str],
    },
    /// A list of `len.0..=len.1` texts of 1 to `max_words` words each.
    Texts {
        len: (usize, usize),
        max_words: usize,
        default: &'static [&'static str],
    },
    /// A text of 1 to `max_words` words.
    Text {
        max_words: usize,
        default: &'static str,
    },
}

impl ParamType {
    /// The values allowed, in words, as a lesson author reads them (also in error messages).
    pub fn describe(&self) -> String {
        match self {
            Self::Int { min, max, .. } => format!("a whole number from {min} to {max}"),
            Self::PowerOfTwo { min, max, .. } => format!("a power of two from {min} to {max}"),
            Self::Float { min, max, .. } => format!("a number from {min} to {max}"),
            Self::Bool { .. } => "true or false".into(),
            Self::IntAmong { allowed, .. } => format!("one of {}", join(allowed.iter())),
            Self::Choice { options, .. } => format!(
                "one of {}",
                options
                    .iter()
                    .map(|o| format!("\"{o}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Floats { len, range, .. } => format!(
                "a list of {} numbers, each from {} to {}",
                count_range(*len),
                range.0,
                range.1
            ),
            Self::Words { len, .. } => format!(
                "a list of {} words of at most 16 characters",
                count_range(*len)
            ),
            Self::Texts { len, max_words, .. } => format!(
                "a list of {} texts of 1 to {max_words} words",
                count_range(*len)
            ),
            Self::Text { max_words: 1, .. } => "one word".into(),
            Self::Text { max_words, .. } => format!("a text of 1 to {max_words} words"),
        }
    }

    /// The default as a lesson would write it in JSON.
    pub fn default_json(&self) -> String {
        let quoted = |s: &str| serde_json::Value::from(s).to_string();
        match self {
            Self::Int { default, .. } | Self::PowerOfTwo { default, .. } => default.to_string(),
            Self::Float { default, .. } => default.to_string(),
            Self::Bool { default } => default.to_string(),
            Self::IntAmong { default, .. } => default.to_string(),
            Self::Choice { default, .. } => quoted(default),
            Self::Floats { default, .. } => format!(
                "[{}]",
                default
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Words { default, .. } | Self::Texts { default, .. } => format!(
                "[{}]",
                default
                    .iter()
                    .map(|s| quoted(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Text { default, .. } => quoted(default),
        }
    }
}

fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn count_range((lo, hi): (usize, usize)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo} to {hi}")
    }
}

/// The kind called `name`.
pub fn find(name: &str) -> Option<&'static KindDef> {
    super::kinds::ALL.iter().copied().find(|k| k.name == name)
}

/// Every kind's name, for "use one of …" messages.
pub fn names() -> Vec<&'static str> {
    super::kinds::ALL.iter().map(|k| k.name).collect()
}

/// Builds a kind from a lesson's parameters; unknown kinds and bad parameters are errors that
/// name what is wrong and what is allowed.
pub fn build(
    kind: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<(&'static KindDef, Box<dyn Panel>), String> {
    build_in(kind, params, &Lab::new())
}

/// [`build`] for a panel of the learner whose lab memory is `lab`.
pub fn build_in(
    kind: &str,
    params: &serde_json::Map<String, serde_json::Value>,
    lab: &Lab,
) -> Result<(&'static KindDef, Box<dyn Panel>), String> {
    let def = find(kind).ok_or_else(|| {
        format!(
            "unknown visualizer kind \"{kind}\": use one of {}",
            names().join(", ")
        )
    })?;
    let visual = (def.build)(Params::in_lab(params, def, lab))?;
    Ok((def, visual))
}

/// The line that opens the generated part of `lessons/README.md`.
pub const DOC_BEGIN: &str =
    "<!-- kinds: generated from src/viz/kinds by `make docs` (llmf check --kinds-doc FILE); do not edit by hand -->";
/// The line that closes it.
pub const DOC_END: &str = "<!-- end of generated kinds -->";

/// The kinds and their parameters as Markdown: one section per kind, with a table of its
/// parameters.
pub fn kinds_markdown() -> String {
    let mut out = String::new();
    for kind in super::kinds::ALL {
        out.push_str(&format!(
            "#### `{}`: {}\n\n{}\n\n",
            kind.name,
            kind.title,
            sentence(kind.about)
        ));
        if kind.params.is_empty() {
            out.push_str("No parameters.\n\n");
            continue;
        }
        out.push_str("| parameter | values | default | what it sets |\n|---|---|---|---|\n");
        for p in kind.params {
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} |\n",
                p.name,
                p.ty.describe(),
                p.ty.default_json(),
                p.doc
            ));
        }
        out.push('\n');
    }
    out
}

/// Text as a sentence: a capital first letter and a full stop at the end.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// `readme` with the part between [`DOC_BEGIN`] and [`DOC_END`] replaced by
/// [`kinds_markdown`]; an error when either marker is missing.
pub fn splice_kinds_doc(readme: &str) -> Result<String, String> {
    let begin = readme
        .find(DOC_BEGIN)
        .ok_or("the file has no line marking the start of the generated kinds; add the DOC_BEGIN line of src/viz/registry.rs where the tables go")?;
    let end = readme
        .find(DOC_END)
        .filter(|e| *e > begin)
        .ok_or("the file has no line marking the end of the generated kinds after its start; add the DOC_END line of src/viz/registry.rs")?;
    Ok(format!(
        "{}{DOC_BEGIN}\n\n{}{}",
        &readme[..begin],
        kinds_markdown(),
        &readme[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    fn one(key: &str, value: Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(key.into(), value);
        m
    }

    #[test]
    fn names_are_unique_and_every_default_is_allowed() {
        let mut seen = std::collections::HashSet::new();
        for kind in super::super::kinds::ALL {
            assert!(seen.insert(kind.name), "{} listed twice", kind.name);
            assert!(!kind.title.is_empty() && !kind.about.is_empty());
            let mut params = std::collections::HashSet::new();
            for p in kind.params {
                assert!(params.insert(p.name), "{}: {} twice", kind.name, p.name);
                assert!(!p.doc.is_empty(), "{}: {} has no doc", kind.name, p.name);
                // The default, written out explicitly, must be accepted as it is.
                let value: Value = serde_json::from_str(&p.ty.default_json()).unwrap();
                let built = build(kind.name, &one(p.name, value.clone()));
                // Softmax labels default to one per logit: an empty list is no valid input.
                if !(matches!(p.ty, ParamType::Words { default: &[], .. })) {
                    assert!(
                        built.is_ok(),
                        "{}: {} = {value}: {:?}",
                        kind.name,
                        p.name,
                        built.err()
                    );
                }
            }
        }
    }

    #[test]
    fn each_range_end_is_accepted_and_just_past_it_rejected() {
        for kind in super::super::kinds::ALL {
            for p in kind.params {
                let (lo, hi, below, above): (Value, Value, Value, Value) = match p.ty {
                    ParamType::Int { min, max, .. } => {
                        (min.into(), max.into(), (min - 1).into(), (max + 1).into())
                    }
                    ParamType::PowerOfTwo { min, max, .. } => {
                        (min.into(), max.into(), (min / 2).into(), (max * 2).into())
                    }
                    ParamType::Float { min, max, .. } => (
                        min.into(),
                        max.into(),
                        (min - 0.01).into(),
                        (max + 0.01).into(),
                    ),
                    _ => continue,
                };
                for ok in [lo, hi] {
                    let r = build(kind.name, &one(p.name, ok.clone()));
                    assert!(r.is_ok(), "{} {} = {ok}: {:?}", kind.name, p.name, r.err());
                }
                for bad in [below, above] {
                    let err = build(kind.name, &one(p.name, bad.clone())).err();
                    let err =
                        err.unwrap_or_else(|| panic!("{} {} = {bad} passed", kind.name, p.name));
                    assert!(err.contains(&p.ty.describe()), "{err}");
                }
            }
        }
    }

    #[test]
    fn unknown_kind_lists_every_kind() {
        let err = build("sofmax", &Map::new()).err().unwrap_or_default();
        assert!(
            err.starts_with("unknown visualizer kind \"sofmax\": use one of "),
            "{err}"
        );
        for kind in super::super::kinds::ALL {
            assert!(err.contains(kind.name), "{err} lacks {}", kind.name);
        }
    }

    #[test]
    fn markdown_has_a_row_per_parameter() {
        let md = kinds_markdown();
        // The softmax row, worked out from its ParamDef by hand.
        assert!(
            md.contains("| `temperature` | a number from 0.05 to 5 | `1` |"),
            "{md}"
        );
        let rows = md.lines().filter(|l| l.starts_with("| `")).count();
        let params: usize = super::super::kinds::ALL
            .iter()
            .map(|k| k.params.len())
            .sum();
        assert_eq!(rows, params);
    }

    #[test]
    fn splice_replaces_only_the_generated_part() {
        let readme = format!("before\n{DOC_BEGIN}\nold table\n{DOC_END}\nafter\n");
        let out = splice_kinds_doc(&readme).unwrap();
        assert!(out.starts_with(&format!("before\n{DOC_BEGIN}\n\n#### `")));
        assert!(out.ends_with(&format!("{DOC_END}\nafter\n")));
        assert!(!out.contains("old table"));
        assert!(splice_kinds_doc("no markers").is_err());
    }

    /// lessons/README.md must hold exactly what the registry generates.
    #[test]
    fn lessons_readme_matches_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let fresh = splice_kinds_doc(&readme).unwrap();
        assert!(
            fresh == readme,
            "lessons/README.md's kinds tables differ from the registry in src/viz/kinds: run `make docs` (cargo run -- check --kinds-doc lessons/README.md) and commit the result"
        );
    }
}
