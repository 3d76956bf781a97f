//! Runs saved by what they reported, and resumed by recomputing it.
//!
//! `lm-train` saves a checkpoint and goes on from it ([`super::Run::suspend`]). The other kinds
//! hold their state (a fine-tuned model and its adapters, a policy and its optimizer, two
//! trainers side by side) on their work's thread in shapes no file format of ours describes;
//! their work is deterministic (fixed seeds, one thread) and takes a minute or two. So a run
//! of theirs is saved as the reports the panel folded, in order: the next session shows
//! them at once, paused, and the run key starts the same work again from the start, dropping
//! the reports the panel already has. The learner is told both on the paused line (how long
//! the recomputing takes: the time the run had taken) and while it catches up; the numbers
//! after it are the ones the interrupted run would have given.

use super::{saved, Phase, Run};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The most a run's saved reports may take, in bytes of JSON.
pub const MAX_LOG: usize = 8 << 20;

/// The reports of a run that resumes by recomputing them.
pub(super) struct Replay<E> {
    to_json: fn(&E) -> Option<serde_json::Value>,
    /// What the work reported, in order, as the file keeps it.
    log: Vec<serde_json::Value>,
    /// The size of `log` in JSON.
    bytes: usize,
    /// More than [`MAX_LOG`] bytes (or a report that JSON cannot hold): not saved.
    over: bool,
    /// Reports of the work started again still to drop: the panel shows them already.
    skip: usize,
}

impl<E> Replay<E> {
    /// Forgets the reports (a new run starts from nothing).
    pub(super) fn clear(&mut self) {
        self.log.clear();
        self.bytes = 0;
        self.over = false;
        self.skip = 0;
    }

    /// The work starts again to catch up with the saved reports.
    pub(super) fn catch_up(&mut self) {
        self.skip = self.log.len();
    }

    /// Whether the work is still recomputing reports the panel has; how many are left.
    pub(super) fn behind(&self) -> Option<usize> {
        (self.skip > 0).then_some(self.skip)
    }

    /// Drops the reports the panel has (recomputed), records the rest and returns them.
    pub(super) fn pass(&mut self, events: Vec<E>) -> Vec<E> {
        let drop = self.skip.min(events.len());
        self.skip -= drop;
        let new: Vec<E> = events.into_iter().skip(drop).collect();
        for e in &new {
            if self.over {
                break;
            }
            match (self.to_json)(e) {
                Some(v) => {
                    self.bytes += v.to_string().len() + 1;
                    self.log.push(v);
                    self.over = self.bytes > MAX_LOG;
                }
                None => self.over = true,
            }
        }
        new
    }

    /// The saved form of the reports, when they can be saved.
    pub(super) fn bytes(&self) -> Option<Vec<u8>> {
        if self.over {
            return None;
        }
        serde_json::to_vec(&self.log).ok()
    }
}

fn to_json<E: Serialize + DeserializeOwned>(e: &E) -> Option<serde_json::Value> {
    let v = serde_json::to_value(e).ok()?;
    // A number JSON cannot hold (a loss gone to NaN) is written as null and would not read
    // back: such a run is not saved rather than saved unreadable.
    serde_json::from_value::<E>(v.clone()).ok().map(|_| v)
}

impl<E: Serialize + DeserializeOwned + Send + 'static> Run<E> {
    /// This run is saved by its reports and resumes by recomputing them (see the module).
    #[must_use]
    pub fn replayable(mut self) -> Self {
        self.replay = Some(Replay {
            to_json: to_json::<E>,
            log: Vec::new(),
            bytes: 0,
            over: false,
            skip: 0,
        });
        self
    }

    /// Brings back a run saved by its reports in an earlier session (`origin` names the
    /// file): paused, with the kind's panel state and the reports for the kind to check and
    /// fold. The next run key starts the work again and drops as many reports as these.
    /// Nothing changes when the file is refused.
    pub fn restore_reports(
        &mut self,
        bytes: &[u8],
        origin: &str,
    ) -> Result<(serde_json::Value, Vec<E>), String> {
        let bad = |what: String| format!("{origin}: not a saved run llmf can resume ({what})");
        let (_, work) = saved::decode(bytes, origin)?;
        let log: Vec<serde_json::Value> =
            serde_json::from_slice(work).map_err(|e| bad(format!("its reports: {e}")))?;
        let events = log
            .iter()
            .map(|v| serde_json::from_value::<E>(v.clone()))
            .collect::<Result<Vec<E>, _>>()
            .map_err(|e| bad(format!("a report: {e}")))?;
        if self.replay.is_none() {
            return Err(bad(
                "this panel resumes from a checkpoint, not reports".into()
            ));
        }
        let panel = self.restore(bytes, origin)?;
        if let Some(r) = self.replay.as_mut() {
            r.bytes = work.len();
            r.log = log;
        }
        Ok((panel, events))
    }

    /// [`Self::restore_reports`] for a kind whose panel state is its settings `S`: the file
    /// is refused (and the run cleared) unless `fits` accepts the settings and every report,
    /// which the kind then takes (untrusted: `fits` checks every index the panel will use).
    pub fn restore_settings<S: DeserializeOwned>(
        &mut self,
        bytes: &[u8],
        origin: &str,
        fits: impl FnOnce(&S, &[E]) -> bool,
    ) -> Result<(S, Vec<E>), String> {
        let (panel, events) = self.restore_reports(bytes, origin)?;
        match serde_json::from_value::<S>(panel) {
            Ok(s) if fits(&s, &events) => Ok((s, events)),
            _ => {
                self.clear();
                Err(format!(
                    "{origin}: its {} settings or results are out of range; press → on \"run\" to start again",
                    self.kind
                ))
            }
        }
    }

    /// Whether the run key continues a restored run: the kind keeps what it shows and starts
    /// the work again with the settings it had (the run drops the reports it already has).
    /// Takes the saved state: ask once, in the kind's start.
    pub fn resumes_by_replay(&mut self) -> bool {
        self.replay.is_some() && self.take_resume().is_some()
    }

    /// Whether the work is recomputing the reports of a restored run.
    pub fn catching_up(&self) -> bool {
        self.phase == Phase::Running && self.replay.as_ref().is_some_and(|r| r.skip > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Phase, Run};
    use crate::jobs::Waker;
    use crate::viz::lab::Lab;

    /// Work that reports 0, 1, …, n−1, a millisecond apart.
    fn count(run: &mut Run<u32>, n: u32) {
        run.start(move |tx| {
            for i in 0..n {
                std::thread::sleep(std::time::Duration::from_millis(1));
                if crate::jobs::Sink::send(&tx, i).is_err() {
                    return;
                }
            }
        });
    }

    fn poll_until(
        run: &mut Run<u32>,
        seen: &mut Vec<u32>,
        until: impl Fn(&Run<u32>, &[u32]) -> bool,
    ) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !until(run, seen) && std::time::Instant::now() < deadline {
            seen.extend(run.poll(&Waker::none()).0);
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_run_saved_by_its_reports_comes_back_paused_and_resumes_without_repeating_them() {
        let lab = Lab::new();
        let mut run = Run::<u32>::new("test", &lab).replayable();
        count(&mut run, 300);
        let mut seen = Vec::new();
        poll_until(&mut run, &mut seen, |_, s| s.len() >= 10);
        run.leave();
        seen.extend(run.suspend());
        let file = run.file(serde_json::json!({"n": 300})).unwrap().unwrap();

        let mut next = Run::<u32>::new("test", &Lab::new()).replayable();
        let (panel, shown) = next.restore_reports(&file, "t.run").unwrap();
        assert_eq!(panel, serde_json::json!({"n": 300}));
        assert_eq!(
            shown, seen,
            "the panel gets back every report it had folded"
        );
        assert_eq!(next.phase(), &Phase::Paused { on_leave: true });
        let line = next.status("300 steps", "step 10");
        assert!(
            line.starts_with("paused when you left this step, at step 10: press → on \"run\" to resume (after recomputing"),
            "{line}"
        );
        assert!(next.toggle(), "the key asks the kind to start");
        assert!(next.resumes_by_replay());
        assert!(!next.resumes_by_replay(), "asked once");
        count(&mut next, 300);
        let mut rest = Vec::new();
        poll_until(&mut next, &mut rest, |r, _| r.finished());
        let all: Vec<u32> = shown.iter().chain(&rest).copied().collect();
        assert_eq!(
            all,
            (0..300).collect::<Vec<_>>(),
            "no report twice, none lost"
        );
        assert!(
            next.file(serde_json::Value::Null).is_none(),
            "ended: nothing to save"
        );
    }

    #[test]
    fn a_started_run_forgets_the_reports_of_the_last_and_a_bad_log_is_refused() {
        let mut run = Run::<u32>::new("test", &Lab::new()).replayable();
        count(&mut run, 3);
        let mut seen = Vec::new();
        poll_until(&mut run, &mut seen, |r, _| r.finished());
        count(&mut run, 2);
        let mut again = Vec::new();
        poll_until(&mut run, &mut again, |r, _| r.finished());
        assert_eq!(again, vec![0, 1], "a new run reports from nothing");

        let header = super::saved::Header {
            kind: "test".into(),
            elapsed_ms: 5,
            done: 0.5,
            panel: serde_json::Value::Null,
        };
        for work in [&b"[1, \"x\"]"[..], b"{", b"[-1]"] {
            let file = super::saved::encode(&header, work).unwrap();
            let mut other = Run::<u32>::new("test", &Lab::new()).replayable();
            let err = other.restore_reports(&file, "t.run").unwrap_err();
            assert!(err.starts_with("t.run: not a saved run"), "{err}");
            assert!(other.idle());
        }
        let nan = super::to_json(&f64::NAN);
        assert_eq!(nan, None, "a NaN is not saved as null");
    }
}

#[cfg(test)]
mod kinds {
    use crate::viz::params::Params;
    use crate::viz::run::saved::{encode, Header};
    use serde_json::{json, Value};

    /// A saved run of `kind` with the panel state `panel` and the reports `events`.
    fn file(kind: &str, panel: Value, events: Value) -> Vec<u8> {
        let header = Header {
            kind: kind.into(),
            elapsed_ms: 1000,
            done: 0.1,
            panel,
        };
        encode(&header, &serde_json::to_vec(&events).unwrap()).unwrap()
    }

    fn panel(kind: &str) -> Box<dyn crate::viz::Panel> {
        let def = crate::viz::kinds::ALL
            .iter()
            .find(|d| d.name == kind)
            .expect("a kind");
        (def.build)(Params::new(&serde_json::Map::new(), def)).unwrap()
    }

    /// Every kind that resumes by recomputing takes back a file it could have written, and
    /// refuses one whose reports point past its runs (an index a panel would use), unchanged.
    #[test]
    fn each_replaying_kind_restores_a_good_file_and_refuses_an_index_out_of_range() {
        let ft = |run: usize| json!([{"Point": {"run": run, "point": {"step": 5, "train": 1.0, "held_out": 1.5, "original": 2.0, "ms_per_step": 3.0}}}]);
        let policy = |beta: usize| json!([{"Step": {"beta": beta, "point": {"reward": 0.5, "kl": 0.1, "gold": 0.2, "entropy": 1.0, "distinct": 0.9, "sample": "token"}}}]);
        let grpo = |method: usize, prompt: usize| json!([{"Step": {"method": method, "point": {"reward": 0.5, "kl": 0.1, "flat": 0.0, "samples": [{"prompt": prompt, "text": "ken ", "reward": 1.0}]}, "seconds": 1.0}}]);
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            (
                "sft",
                json!({"settings": [0, 3, true], "kept": []}),
                ft(0),
                ft(1),
            ),
            (
                "lora",
                json!({"settings": [0, 100], "kept": []}),
                ft(3),
                ft(4),
            ),
            (
                "lora",
                json!({"settings": [0, 100], "kept": []}),
                ft(0),
                ft(1 << 40),
            ),
            (
                "forgetting",
                json!({"settings": [0, 0.5, 100], "kept": []}),
                ft(2),
                ft(3),
            ),
            ("policy-kl", json!([0, 1, 1]), policy(2), policy(3)),
            ("grpo", json!([0, 1, 1, 1]), grpo(1, 0), grpo(2, 0)),
            ("grpo", json!([0, 1, 1, 1]), grpo(1, 0), grpo(0, 1 << 20)),
            (
                "scaling-sweep",
                json!({"at": [0, 1], "settings": [["steps", "50"], ["seed", "1"]]}),
                json!([{"Progress": {"size": 1, "step": 10}}, {"Done": {"size": 0, "val_loss": 2.5}}]),
                json!([{"Done": {"size": 5, "val_loss": 2.5}}]),
            ),
        ];
        for (kind, settings, good, bad) in cases {
            let mut p = panel(kind);
            let err = p
                .restore(&file(kind, settings.clone(), bad), "x.run")
                .expect_err(kind);
            assert!(err.starts_with("x.run: "), "{kind}: {err}");
            let shown = format!("{:?}", p.parts());
            assert!(
                !shown.contains("paused"),
                "{kind}: as it was before: {shown}"
            );
            let mut p = panel(kind);
            p.restore(&file(kind, settings, good), "x.run")
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(!p.busy(), "{kind}: paused");
            let shown = format!("{:?}", p.parts());
            assert!(
                shown.contains("paused when you left this step") && shown.contains("recomputing"),
                "{kind}: {shown}"
            );
        }
        // Settings out of range are refused too.
        let mut p = panel("sft");
        let bad = file("sft", json!({"settings": [7, 3, true], "kept": []}), ft(0));
        assert!(p.restore(&bad, "x.run").is_err());
    }
}
