//! Softmax bars: move each logit, the temperature and a shift added to every logit; see the
//! probabilities, their entropy, and where the naive formula overflows.

use crate::labs::part2_math::softmax::{entropy, softmax, softmax_naive};
use crate::labs::{fmt_list, fmt_num};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, Part};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// Offsets for the shift control: large enough to overflow e^z in 64-bit floats (past ~709).
const SHIFTS: &[f64] = &[0.0, 1.0, 5.0, 10.0, 100.0, 500.0, 1000.0];

/// The temperature T, a control and a parameter.
const TEMPERATURE: Scale = Scale::linear(0.05, 5.0, 0.05, 2);
/// Each logit z, a control and a parameter.
const LOGIT: Scale = Scale::linear(-20.0, 20.0, 0.5, 1);

/// The `softmax` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "softmax",
    title: "Softmax and temperature",
    about: "moves each logit, the temperature and a shift added to every logit; sees probabilities, entropy and the overflow that subtracting the max avoids",
    params: &[ParamDef { name: "logits", ty: ParamType::Floats { len: (2, 6), range: (LOGIT.min, LOGIT.max), default: &[2.0, 1.0, 0.5, -1.0] }, doc: "the scores z" }, ParamDef { name: "labels", ty: ParamType::Words { len: (2, 6), default: &[] }, doc: "one label per logit (default z1, z2, …)" }, TEMPERATURE.float("temperature", 1.0, "the temperature T dividing every logit")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Softmax::new(p)?))
}

pub struct Softmax {
    logits: Vec<f64>,
    labels: Vec<String>,
    temperature: f64,
    shift: usize,
}

impl Softmax {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let logits = p.floats("logits")?;
        let mut labels = p.words("labels")?;
        if labels.is_empty() {
            labels = (1..=logits.len()).map(|i| format!("z{i}")).collect();
        } else if labels.len() != logits.len() {
            return Err(format!(
                "softmax: \"labels\" must have one label per logit: {} labels for {} logits",
                labels.len(),
                logits.len()
            ));
        }
        let temperature = p.float("temperature")?;
        p.finish()?;
        Ok(Self {
            logits,
            labels,
            temperature,
            shift: 0,
        })
    }

    fn shifted(&self) -> Vec<f64> {
        self.logits.iter().map(|z| z + SHIFTS[self.shift]).collect()
    }
}

impl Controls for Softmax {
    fn declare(&self, k: &mut Knobs<Self>) {
        k.slider("temperature T", self.temperature, TEMPERATURE, |s, t| {
            s.temperature = t;
        });
        let shifts = SHIFTS.iter().map(|s| format!("+{s}")).collect();
        k.choice("shift every z by", shifts, self.shift, |s, i| s.shift = i);
        // One slider per logit.
        for (i, (label, z)) in self.labels.iter().zip(&self.logits).enumerate() {
            k.slider(&format!("logit {label}"), *z, LOGIT, move |s, z| {
                s.logits[i] = z;
            });
        }
    }
}

impl Visual for Softmax {
    fn parts(&self) -> Vec<Part> {
        let z = self.shifted();
        let t = self.temperature;
        let p = softmax(&z, t);
        let naive = softmax_naive(&z, t);
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let top = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        let list = |xs: &[f64]| fmt_list(xs);
        let scaled: Vec<f64> = z.iter().map(|x| x / t).collect();
        let stable: Vec<f64> = z.iter().map(|x| ((x - max) / t).exp()).collect();
        let naive_ok = naive.iter().all(|x| x.is_finite());
        let exp_big: Vec<f64> = scaled.iter().map(|x| x.exp()).collect();
        vec![
            Part::Bars(BarsView {
                title: format!("softmax(z / {t:.2})"),
                labels: self.labels.clone(),
                values: p.clone(),
                decimals: 3,
                highlight: top,
                max: Some(1.0),
            }),
            Part::Text(vec![
                format!("z/T = [{}]", list(&scaled)),
                format!(
                    "e^((z−max)/T) = [{}]  (max = {})",
                    list(&stable),
                    fmt_num(max)
                ),
                if naive_ok {
                    format!("naive e^(z/T) = [{}]: fine at this size", list(&exp_big))
                } else {
                    "naive e^(z/T) overflows to inf → inf/inf = NaN; the shifted one does not"
                        .to_string()
                },
                format!(
                    "entropy {} nats (uniform would be ln {} = {})",
                    fmt_num(entropy(&p)),
                    p.len(),
                    fmt_num((p.len() as f64).ln())
                ),
            ]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn bars_follow_the_controls_and_overflow_is_shown() {
        let mut lab = Softmax::new(Params::new(&Map::new(), &KIND)).unwrap();
        let Part::Bars(b) = &lab.parts()[0] else {
            panic!()
        };
        // softmax([2, 1, 0.5, −1]) = 0.609, 0.224, 0.136, 0.030
        assert!((b.values[0] - 0.6095).abs() < 1e-3, "{:?}", b.values);
        lab.adjust(1, 6); // shift by +1000
        let parts = lab.parts();
        let Part::Bars(shifted) = &parts[0] else {
            panic!()
        };
        assert!((shifted.values[0] - 0.6095).abs() < 1e-3);
        let Part::Text(t) = &parts[1] else { panic!() };
        assert!(t[2].contains("overflows"), "{}", t[2]);
        lab.adjust(0, -100); // coldest temperature
        let Part::Bars(cold) = &lab.parts()[0] else {
            panic!()
        };
        assert!(cold.values[0] > 0.99);
    }

    /// Regression: with the logits shifted by 1000 the lists read `[1,002, 1,001, 1000.5, 999]`.
    /// z + 1000 for z = 2, 1, 0.5, −1 at T = 1 is 1002, 1001, 1000.5, 999.
    #[test]
    fn shifted_logits_list_without_thousands_commas() {
        let mut lab = Softmax::new(Params::new(&Map::new(), &KIND)).unwrap();
        lab.adjust(1, 6); // shift by +1000
        let Part::Text(t) = &lab.parts()[1] else {
            panic!()
        };
        assert_eq!(t[0], "z/T = [1002, 1001, 1000.5, 999]");
    }
}
