//! Reading a visualizer's JSON parameters with ranges and defaults, so `llmf check` can say
//! exactly which parameter is wrong and what it may be.

use serde_json::{Map, Value};

/// The parameters of one visualizer block; each `take_*` removes what it reads so that
/// [`Params::finish`] can report any key left over as unknown.
pub struct Params {
    map: Map<String, Value>,
    kind: &'static str,
}

pub type ParamResult<T> = Result<T, String>;

impl Params {
    pub fn new(map: &Map<String, Value>, kind: &'static str) -> Self {
        Self {
            map: map.clone(),
            kind,
        }
    }

    pub fn int(&mut self, key: &str, min: i64, max: i64, default: i64) -> ParamResult<i64> {
        match self.map.remove(key) {
            None => Ok(default),
            Some(v) => match v.as_i64() {
                Some(x) if (min..=max).contains(&x) => Ok(x),
                _ => Err(format!(
                    "{}: \"{key}\" must be a whole number from {min} to {max}, not {v}",
                    self.kind
                )),
            },
        }
    }

    pub fn float(&mut self, key: &str, min: f64, max: f64, default: f64) -> ParamResult<f64> {
        match self.map.remove(key) {
            None => Ok(default),
            Some(v) => match v.as_f64() {
                Some(x) if x >= min && x <= max => Ok(x),
                _ => Err(format!(
                    "{}: \"{key}\" must be a number from {min} to {max}, not {v}",
                    self.kind
                )),
            },
        }
    }

    /// A whole number that must be one of `allowed`, returned as its index there.
    pub fn int_among(
        &mut self,
        key: &str,
        allowed: &[usize],
        default: usize,
    ) -> ParamResult<usize> {
        let value = match self.map.remove(key) {
            None => default,
            Some(v) => v
                .as_u64()
                .map_or(usize::MAX, |x| usize::try_from(x).unwrap_or(usize::MAX)),
        };
        allowed.iter().position(|a| *a == value).ok_or_else(|| {
            let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
            format!(
                "{}: \"{key}\" must be one of {}",
                self.kind,
                list.join(", ")
            )
        })
    }

    pub fn boolean(&mut self, key: &str, default: bool) -> ParamResult<bool> {
        match self.map.remove(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(v) => Err(format!(
                "{}: \"{key}\" must be true or false, not {v}",
                self.kind
            )),
        }
    }

    /// A value that must be one of `options` (numbers or strings), returned as its index.
    pub fn one_of(&mut self, key: &str, options: &[&str], default: usize) -> ParamResult<usize> {
        match self.map.remove(key) {
            None => Ok(default),
            Some(v) => {
                let text = match &v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                options.iter().position(|o| *o == text).ok_or_else(|| {
                    format!(
                        "{}: \"{key}\" must be one of {}, not {v}",
                        self.kind,
                        options.join(", ")
                    )
                })
            }
        }
    }

    pub fn floats(
        &mut self,
        key: &str,
        len: (usize, usize),
        range: (f64, f64),
        default: &[f64],
    ) -> ParamResult<Vec<f64>> {
        let Some(v) = self.map.remove(key) else {
            return Ok(default.to_vec());
        };
        let values: Option<Vec<f64>> = v
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_f64).collect())
            .filter(|xs: &Vec<f64>| Some(xs.len()) == v.as_array().map(Vec::len));
        match values {
            Some(xs)
                if (len.0..=len.1).contains(&xs.len())
                    && xs.iter().all(|x| *x >= range.0 && *x <= range.1) =>
            {
                Ok(xs)
            }
            _ => Err(format!(
                "{}: \"{key}\" must be a list of {} to {} numbers, each from {} to {}",
                self.kind, len.0, len.1, range.0, range.1
            )),
        }
    }

    pub fn words(
        &mut self,
        key: &str,
        len: (usize, usize),
        default: &[&str],
    ) -> ParamResult<Vec<String>> {
        self.strings(key, len, 16, default)
    }

    /// A list of `len.0` to `len.1` non-empty strings of at most `max_chars` characters.
    pub fn strings(
        &mut self,
        key: &str,
        len: (usize, usize),
        max_chars: usize,
        default: &[&str],
    ) -> ParamResult<Vec<String>> {
        let Some(v) = self.map.remove(key) else {
            return Ok(default.iter().map(|s| (*s).to_string()).collect());
        };
        let words: Option<Vec<String>> = v.as_array().and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        match words {
            Some(ws)
                if (len.0..=len.1).contains(&ws.len())
                    && ws.iter().all(|w| !w.trim().is_empty() && w.chars().count() <= max_chars) =>
            {
                Ok(ws)
            }
            _ => Err(format!(
                "{}: \"{key}\" must be a list of {} to {} non-empty strings of at most {max_chars} characters",
                self.kind, len.0, len.1
            )),
        }
    }

    /// A sentence of 1 to `max_words` words.
    pub fn text(&mut self, key: &str, max_words: usize, default: &str) -> ParamResult<String> {
        match self.map.remove(key) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) if (1..=max_words).contains(&s.split_whitespace().count()) => {
                Ok(s)
            }
            Some(v) => Err(format!(
                "{}: \"{key}\" must be a text of 1 to {max_words} words, not {v}",
                self.kind
            )),
        }
    }

    /// Fails on any parameter nobody asked for (a typo, most often).
    pub fn finish(self) -> ParamResult<()> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!(
                "{}: unknown parameter \"{key}\" (see lessons/README.md for this kind's parameters)",
                self.kind
            )),
        }
    }
}
