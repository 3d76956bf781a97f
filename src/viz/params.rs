//! Reading a visualizer's JSON parameters by name. Ranges and defaults come from the kind's
//! [`ParamDef`]s in the registry, so each is written once, and `llmf check` can say exactly
//! which parameter is wrong and what it may be.

use super::lab::Lab;
use super::registry::{KindDef, ParamDef, ParamType};
use serde_json::{Map, Value};

/// The parameters of one visualizer block; each read removes its key so that
/// [`Params::finish`] can report any key left over as unknown.
/// Whether one word (or text) of a list parameter is acceptable.
type WordRule = Box<dyn Fn(&str) -> bool>;

pub struct Params {
    map: Map<String, Value>,
    kind: &'static KindDef,
    /// The learner's lab memory, for kinds that keep or read results across steps.
    lab: Lab,
}

pub type ParamResult<T> = Result<T, String>;

impl Params {
    /// Parameters read in a lab of their own (tests, and callers with no learner).
    pub fn new(map: &Map<String, Value>, kind: &'static KindDef) -> Self {
        Self::in_lab(map, kind, &Lab::new())
    }

    /// Parameters read for a panel of the learner whose lab memory is `lab`.
    pub fn in_lab(map: &Map<String, Value>, kind: &'static KindDef, lab: &Lab) -> Self {
        Self {
            map: map.clone(),
            kind,
            lab: lab.clone(),
        }
    }

    /// The learner's lab memory (a handle: the kind keeps it to read or write later).
    pub fn lab(&self) -> Lab {
        self.lab.clone()
    }

    /// The definition of `name` and the value given for it (None: use the default).
    fn take(&mut self, name: &str) -> ParamResult<(&'static ParamDef, Option<Value>)> {
        let def = self.kind.param(name).ok_or_else(|| {
            format!(
                "{}: the code reads parameter \"{name}\", which its KindDef does not declare (a bug: add it to KIND's params)",
                self.kind.name
            )
        })?;
        Ok((def, self.map.remove(name)))
    }

    fn invalid(&self, def: &ParamDef, value: &Value) -> String {
        format!(
            "{}: \"{}\" must be {}, not {value}",
            self.kind.name,
            def.name,
            def.ty.describe()
        )
    }

    fn wrong_type(&self, def: &ParamDef, reader: &str) -> String {
        format!(
            "{}: parameter \"{}\" is read with {reader} but declared otherwise (a bug in the kind)",
            self.kind.name, def.name
        )
    }

    /// An `Int` or `PowerOfTwo` parameter.
    pub fn int(&mut self, name: &str) -> ParamResult<i64> {
        let (def, value) = self.take(name)?;
        let (min, max, default, pow2) = match def.ty {
            ParamType::Int { min, max, default } => (min, max, default, false),
            ParamType::PowerOfTwo { min, max, default } => (min, max, default, true),
            _ => return Err(self.wrong_type(def, "int")),
        };
        let Some(v) = value else { return Ok(default) };
        match v.as_i64() {
            Some(x) if (min..=max).contains(&x) && (!pow2 || (x as u64).is_power_of_two()) => Ok(x),
            _ => Err(self.invalid(def, &v)),
        }
    }

    pub fn float(&mut self, name: &str) -> ParamResult<f64> {
        let (def, value) = self.take(name)?;
        let ParamType::Float { min, max, default } = def.ty else {
            return Err(self.wrong_type(def, "float"));
        };
        let Some(v) = value else { return Ok(default) };
        match v.as_f64() {
            Some(x) if x >= min && x <= max => Ok(x),
            _ => Err(self.invalid(def, &v)),
        }
    }

    pub fn boolean(&mut self, name: &str) -> ParamResult<bool> {
        let (def, value) = self.take(name)?;
        let ParamType::Bool { default } = def.ty else {
            return Err(self.wrong_type(def, "boolean"));
        };
        match value {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(v) => Err(self.invalid(def, &v)),
        }
    }

    /// An `IntAmong` or `Choice` parameter, as the index of its value in the allowed list.
    pub fn index(&mut self, name: &str) -> ParamResult<usize> {
        let (def, value) = self.take(name)?;
        match def.ty {
            ParamType::IntAmong { allowed, default } => {
                let wanted = match &value {
                    None => Some(default),
                    Some(v) => v.as_u64().and_then(|x| usize::try_from(x).ok()),
                };
                wanted
                    .and_then(|w| allowed.iter().position(|a| *a == w))
                    .ok_or_else(|| self.invalid(def, &value.unwrap_or(Value::from(default))))
            }
            ParamType::Choice { options, default } => {
                let text = match &value {
                    None => default.to_string(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                options
                    .iter()
                    .position(|o| *o == text)
                    .ok_or_else(|| self.invalid(def, &value.unwrap_or(Value::from(default))))
            }
            _ => Err(self.wrong_type(def, "index")),
        }
    }

    pub fn floats(&mut self, name: &str) -> ParamResult<Vec<f64>> {
        let (def, value) = self.take(name)?;
        let ParamType::Floats {
            len,
            range,
            default,
        } = def.ty
        else {
            return Err(self.wrong_type(def, "floats"));
        };
        let Some(v) = value else {
            return Ok(default.to_vec());
        };
        let values: Option<Vec<f64>> = v
            .as_array()
            .and_then(|items| items.iter().map(Value::as_f64).collect());
        match values {
            Some(xs)
                if (len.0..=len.1).contains(&xs.len())
                    && xs.iter().all(|x| *x >= range.0 && *x <= range.1) =>
            {
                Ok(xs)
            }
            _ => Err(self.invalid(def, &v)),
        }
    }

    /// A `Words` or `Texts` parameter.
    pub fn words(&mut self, name: &str) -> ParamResult<Vec<String>> {
        let (def, value) = self.take(name)?;
        let (len, default, fits): (_, _, WordRule) = match def.ty {
            ParamType::Words { len, default } => (
                len,
                default,
                Box::new(|w: &str| !w.trim().is_empty() && w.chars().count() <= 16),
            ),
            ParamType::Texts {
                len,
                max_words,
                default,
            } => (
                len,
                default,
                Box::new(move |t: &str| (1..=max_words).contains(&t.split_whitespace().count())),
            ),
            _ => return Err(self.wrong_type(def, "words")),
        };
        let Some(v) = value else {
            return Ok(default.iter().map(|s| (*s).to_string()).collect());
        };
        let words: Option<Vec<String>> = v.as_array().and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect()
        });
        match words {
            Some(ws) if (len.0..=len.1).contains(&ws.len()) && ws.iter().all(|w| fits(w)) => Ok(ws),
            _ => Err(self.invalid(def, &v)),
        }
    }

    /// A `Text` parameter: 1 to `max_words` words.
    pub fn text(&mut self, name: &str) -> ParamResult<String> {
        let (def, value) = self.take(name)?;
        let ParamType::Text { max_words, default } = def.ty else {
            return Err(self.wrong_type(def, "text"));
        };
        match value {
            None => Ok(default.to_string()),
            Some(Value::String(s)) if (1..=max_words).contains(&s.split_whitespace().count()) => {
                Ok(s)
            }
            Some(v) => Err(self.invalid(def, &v)),
        }
    }

    /// Fails on any parameter nobody asked for (a typo, most often), naming those there are.
    pub fn finish(self) -> ParamResult<()> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => {
                let known: Vec<String> = self
                    .kind
                    .params
                    .iter()
                    .map(|p| format!("\"{}\"", p.name))
                    .collect();
                Err(format!(
                    "{}: unknown parameter \"{key}\": {} takes {}",
                    self.kind.name,
                    self.kind.name,
                    if known.is_empty() {
                        "no parameters".into()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::registry::{KindDef, ParamDef, ParamType};
    use serde_json::json;

    fn nothing(_: Params) -> ParamResult<Box<dyn crate::viz::Panel>> {
        Err("not built in these tests".into())
    }

    const TEST: KindDef = KindDef {
        name: "test",
        title: "A test kind",
        about: "reads one parameter of each type",
        params: &[
            ParamDef {
                name: "n",
                ty: ParamType::Int {
                    min: 1,
                    max: 6,
                    default: 3,
                },
                doc: "an int",
            },
            ParamDef {
                name: "ctx",
                ty: ParamType::PowerOfTwo {
                    min: 16,
                    max: 1024,
                    default: 64,
                },
                doc: "a power of two",
            },
            ParamDef {
                name: "t",
                ty: ParamType::Float {
                    min: 0.5,
                    max: 2.0,
                    default: 1.0,
                },
                doc: "a float",
            },
            ParamDef {
                name: "on",
                ty: ParamType::Bool { default: true },
                doc: "a flag",
            },
            ParamDef {
                name: "d",
                ty: ParamType::IntAmong {
                    allowed: &[8, 16, 32],
                    default: 16,
                },
                doc: "among",
            },
            ParamDef {
                name: "view",
                ty: ParamType::Choice {
                    options: &["a", "b", "7"],
                    default: "b",
                },
                doc: "a choice",
            },
            ParamDef {
                name: "xs",
                ty: ParamType::Floats {
                    len: (2, 3),
                    range: (-1.0, 1.0),
                    default: &[0.5, -0.5],
                },
                doc: "floats",
            },
            ParamDef {
                name: "ws",
                ty: ParamType::Words {
                    len: (1, 2),
                    default: &["x"],
                },
                doc: "words",
            },
            ParamDef {
                name: "ss",
                ty: ParamType::Texts {
                    len: (1, 2),
                    max_words: 2,
                    default: &["a b"],
                },
                doc: "texts",
            },
            ParamDef {
                name: "text",
                ty: ParamType::Text {
                    max_words: 3,
                    default: "hi there",
                },
                doc: "text",
            },
        ],
        build: nothing,
    };

    fn params(v: serde_json::Value) -> Params {
        Params::new(v.as_object().unwrap(), &TEST)
    }

    #[test]
    fn defaults_come_from_the_def() {
        let mut p = params(json!({}));
        assert_eq!(p.int("n"), Ok(3));
        assert_eq!(p.int("ctx"), Ok(64));
        assert_eq!(p.float("t"), Ok(1.0));
        assert_eq!(p.boolean("on"), Ok(true));
        assert_eq!(p.index("d"), Ok(1));
        assert_eq!(p.index("view"), Ok(1));
        assert_eq!(p.floats("xs"), Ok(vec![0.5, -0.5]));
        assert_eq!(p.words("ws"), Ok(vec!["x".to_string()]));
        assert_eq!(p.words("ss"), Ok(vec!["a b".to_string()]));
        assert_eq!(p.text("text"), Ok("hi there".to_string()));
        assert_eq!(p.finish(), Ok(()));
    }

    #[test]
    fn given_values_are_read_and_checked() {
        let mut p = params(json!({"n": 6, "ctx": 256, "t": 0.5, "on": false, "d": 32,
            "view": 7, "xs": [1, 0, -1], "ws": ["a", "b"], "ss": ["one", "two words"],
            "text": "a b c"}));
        assert_eq!(p.int("n"), Ok(6));
        assert_eq!(p.int("ctx"), Ok(256));
        assert_eq!(p.float("t"), Ok(0.5));
        assert_eq!(p.boolean("on"), Ok(false));
        assert_eq!(p.index("d"), Ok(2));
        // A number matches the option written as that number.
        assert_eq!(p.index("view"), Ok(2));
        assert_eq!(p.floats("xs"), Ok(vec![1.0, 0.0, -1.0]));
        assert_eq!(p.words("ws").map(|w| w.len()), Ok(2));
        assert_eq!(p.words("ss").map(|w| w.len()), Ok(2));
        assert_eq!(p.text("text"), Ok("a b c".to_string()));
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        let cases = [
            (
                json!({"n": 7}),
                "n",
                "\"n\" must be a whole number from 1 to 6, not 7",
            ),
            (json!({"n": 2.5}), "n", "from 1 to 6, not 2.5"),
            (
                json!({"ctx": 48}),
                "ctx",
                "a power of two from 16 to 1024, not 48",
            ),
            (json!({"t": 3}), "t", "a number from 0.5 to 2, not 3"),
            (
                json!({"on": "yes"}),
                "on",
                "must be true or false, not \"yes\"",
            ),
            (json!({"d": 12}), "d", "must be one of 8, 16, 32, not 12"),
            (
                json!({"view": "c"}),
                "view",
                "one of \"a\", \"b\", \"7\", not \"c\"",
            ),
            (
                json!({"xs": [0.5]}),
                "xs",
                "a list of 2 to 3 numbers, each from -1 to 1",
            ),
            (json!({"xs": [0.5, "x"]}), "xs", "each from -1 to 1"),
            (
                json!({"ws": ["a", "b", "c"]}),
                "ws",
                "1 to 2 words of at most 16",
            ),
            (
                json!({"ws": ["seventeen-letters"]}),
                "ws",
                "at most 16 characters",
            ),
            (json!({"ss": ["a b c"]}), "ss", "texts of 1 to 2 words"),
            (json!({"text": "a b c d"}), "text", "a text of 1 to 3 words"),
            (json!({"text": "  "}), "text", "a text of 1 to 3 words"),
        ];
        for (value, name, message) in cases {
            let mut p = params(value);
            let err = match TEST.param(name).map(|d| &d.ty) {
                Some(ParamType::Int { .. } | ParamType::PowerOfTwo { .. }) => p.int(name).err(),
                Some(ParamType::Float { .. }) => p.float(name).err(),
                Some(ParamType::Bool { .. }) => p.boolean(name).err(),
                Some(ParamType::IntAmong { .. } | ParamType::Choice { .. }) => p.index(name).err(),
                Some(ParamType::Floats { .. }) => p.floats(name).err(),
                Some(ParamType::Words { .. } | ParamType::Texts { .. }) => p.words(name).err(),
                Some(ParamType::Text { .. }) => p.text(name).err(),
                None => unreachable!(),
            };
            let err = err.unwrap_or_else(|| panic!("{name} accepted a bad value"));
            assert!(err.starts_with("test: "), "{err}");
            assert!(err.contains(message), "{err} lacks {message}");
        }
    }

    #[test]
    fn unknown_and_undeclared_names_are_errors() {
        let p = params(json!({"nn": 1}));
        let err = p.finish().err().unwrap_or_default();
        assert!(
            err.starts_with("test: unknown parameter \"nn\": test takes \"n\", \"ctx\""),
            "{err}"
        );
        let mut p = params(json!({}));
        assert!(p.int("missing").unwrap_err().contains("does not declare"));
        assert!(p.float("n").unwrap_err().contains("declared otherwise"));
    }
}
