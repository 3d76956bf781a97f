//! Streaming attention with a sliding window, with and without sink tokens, against full
//! attention.

use crate::labs::fmt_num;
use crate::labs::part2_math::softmax::softmax;
use crate::labs::part3_transformer::long_context::{kept_keys, kept_share, stream_logit};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::KindDef;
use crate::viz::view::{ChartView, Part, Series};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual};

/// Tokens the cache holds, a control and a parameter.
const WINDOW: Scale = Scale::linear(8.0, 64.0, 4.0, 0);
/// Attention-sink tokens kept at the start, a control and a parameter.
const SINKS: Scale = Scale::linear(0.0, 8.0, 1.0, 0);
/// Tokens in the stream, a control and a parameter.
const LENGTH: Scale = Scale::linear(32.0, 512.0, 32.0, 0);

/// The `streaming` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "streaming",
    title: "Streaming with a window and sink tokens",
    about: "streams a long sequence through a toy attention pattern in which, as in trained models, the first token draws a large share (a sink) and recent tokens a little more than old ones; compares full attention, a sliding window and the window plus sink tokens: where the attention mass goes at the current step, and how far each drifts from full attention (KL divergence) as tokens are evicted",
    params: &[WINDOW.int("window", 16, "keys the cache holds"), SINKS.int("sinks", 4, "of those, keys pinned to the start of the stream"), LENGTH.int("length", 256, "tokens in the stream")],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Streaming::new(p)?))
}

pub struct Streaming {
    window: usize,
    sinks: usize,
    length: usize,
    t: usize,
}

impl Streaming {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let window = p.int("window")? as usize;
        let sinks = p.int("sinks")? as usize;
        let length = p.int("length")? as usize;
        p.finish()?;
        Ok(Self {
            window,
            sinks,
            length,
            t: length - 1,
        })
    }
}

impl Controls for Streaming {
    fn declare(&self, k: &mut Knobs<Self>) {
        let steps = Scale::linear(0.0, (self.length - 1) as f64, 1.0, 0);
        k.count("step t", self.t, steps, |s, t| s.t = t);
        k.count("cache size", self.window, WINDOW, |s, w| s.window = w);
        k.count("sink tokens", self.sinks, SINKS, |s, n| s.sinks = n);
        k.count("stream length", self.length, LENGTH, |s, n| {
            s.length = n;
            s.t = s.t.min(s.length - 1);
        });
    }
}

impl Visual for Streaming {
    fn parts(&self) -> Vec<Part> {
        let t = self.t;
        let full = softmax(
            &(0..=t).map(|j| stream_logit(t, j)).collect::<Vec<_>>(),
            1.0,
        );
        let (w_share, w_kl) = kept_share(t, &kept_keys(t, self.window, 0));
        let (s_share, s_kl) = kept_share(t, &kept_keys(t, self.window, self.sinks));
        let curve = |sinks: usize| -> Vec<(f64, f64)> {
            (0..self.length)
                .map(|u| (u as f64, kept_share(u, &kept_keys(u, self.window, sinks)).1))
                .collect()
        };
        vec![
            Part::Text(vec![
                format!(
                    "t = {t}: full attention puts {} of its mass on token 0 (the sink)",
                    fmt_num(full[0])
                ),
                format!(
                    "window {} keeps {} (KL {}); window with {} sink{} keeps {} (KL {})",
                    self.window,
                    fmt_num(w_share),
                    fmt_num(w_kl),
                    self.sinks,
                    if self.sinks == 1 { "" } else { "s" },
                    fmt_num(s_share),
                    fmt_num(s_kl)
                ),
            ]),
            Part::Chart(ChartView {
                title: "drift from full attention, KL(kept ‖ full), over the stream".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_log: false,
                y_log: false,
                series: vec![
                    Series {
                        name: "window only".into(),
                        marker: '*',
                        points: curve(0),
                        faint: false,
                    },
                    Series {
                        name: format!(
                            "window + {} sink{}",
                            self.sinks,
                            if self.sinks == 1 { "" } else { "s" }
                        ),
                        marker: 'o',
                        points: curve(self.sinks),
                        faint: false,
                    },
                ],
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    #[test]
    fn sinks_keep_attention_close_to_full_once_the_start_is_evicted() {
        let t = 200;
        let (w, w_kl) = kept_share(t, &kept_keys(t, 16, 0));
        let (s, s_kl) = kept_share(t, &kept_keys(t, 16, 4));
        assert!(s > w && s_kl < w_kl, "sinks {s} vs window {w}");
        // Before anything is evicted, all three agree exactly.
        assert_eq!(kept_share(10, &kept_keys(10, 16, 0)).1, 0.0);
        let lab = Streaming::new(Params::new(&Map::new(), &KIND)).unwrap();
        assert_eq!(lab.parts().len(), 2);
    }
}
