//! A run's history: the finished runs a learner's lab keeps for comparison ([`Kept`]), the
//! faint lines drawn under the current run ([`Run::ghosts`]) and the table of final figures
//! ([`Run::history_table`]), each labelled by the settings that differ ([`label`]).

use super::{Run, MAX_KEPT};
use crate::viz::view::{Part, Series, TableView};

/// One setting of a run as its label shows it: (`"lr"`, `"0.003"`) reads `lr 0.003`.
pub type Setting = (&'static str, String);

/// A finished run kept for comparison: what it ran with, its lines, its final figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub settings: Vec<Setting>,
    pub series: Vec<Series>,
    pub figures: Vec<String>,
}

impl Kept {
    /// Bytes this record holds (for the memory bound and its measurement).
    pub fn bytes(&self) -> usize {
        let strings: usize = self
            .settings
            .iter()
            .map(|(_, v)| v.capacity())
            .chain(self.figures.iter().map(String::capacity))
            .chain(self.series.iter().map(|s| s.name.capacity()))
            .sum();
        let points: usize = self
            .series
            .iter()
            .map(|s| s.points.capacity() * std::mem::size_of::<(f64, f64)>())
            .sum();
        std::mem::size_of::<Self>()
            + self.settings.capacity() * std::mem::size_of::<Setting>()
            + self.series.capacity() * std::mem::size_of::<Series>()
            + self.figures.capacity() * std::mem::size_of::<String>()
            + strings
            + points
    }
}

impl<E: Send + 'static> Run<E> {
    /// Keeps the finished run for comparison (call it before a setting changes): its
    /// `settings`, chart lines and final figures. An unfinished run is not a result and is
    /// not kept.
    pub fn keep(&mut self, settings: Vec<Setting>, series: Vec<Series>, figures: Vec<String>) {
        if self.finished() {
            self.lab.keep_run(
                self.kind,
                Kept {
                    settings,
                    series,
                    figures,
                },
            );
        }
    }

    /// The kept runs of this kind, newest first.
    pub fn history(&self) -> Vec<Kept> {
        self.lab.kept_runs(self.kind)
    }

    /// Forgets the kept runs of this kind; whether there were any.
    pub fn clear_history(&mut self) -> bool {
        self.lab.clear_runs(self.kind)
    }

    /// The kept runs' lines named in `only` (all when empty), faint, each named by the
    /// settings in which it differs from `current` (`lr 0.003`), to draw under the current
    /// run's. `marker` draws all of them (one character, so they read as the background).
    pub fn ghosts(&self, current: &[Setting], only: &[&str], marker: char) -> Vec<Series> {
        self.history()
            .into_iter()
            .flat_map(|kept| {
                let label = label(&kept.settings, current);
                let shown: Vec<Series> = kept
                    .series
                    .into_iter()
                    .filter(|s| only.is_empty() || only.contains(&s.name.as_str()))
                    .collect();
                let many = shown.len() > 1;
                shown.into_iter().map(move |s| Series {
                    name: if many {
                        format!("{label}: {}", s.name)
                    } else {
                        label.clone()
                    },
                    marker,
                    points: s.points,
                    faint: true,
                })
            })
            .collect()
    }

    /// The kept runs' final figures beside the current run's (`now`), one row each under
    /// `headers` (the first names the run), or `None` while nothing is kept.
    pub fn history_table(
        &self,
        current: &[Setting],
        headers: &[&str],
        now: Vec<String>,
    ) -> Option<Part> {
        let kept = self.history();
        if kept.is_empty() {
            return None;
        }
        let mut rows: Vec<Vec<String>> =
            vec![std::iter::once("this run".to_string()).chain(now).collect()];
        rows.extend(kept.iter().map(|k| {
            std::iter::once(label(&k.settings, current))
                .chain(k.figures.iter().cloned())
                .collect()
        }));
        Some(Part::Table(TableView {
            title: format!(
                "kept runs (the last {MAX_KEPT}; {} forgets them)",
                crate::viz::CLEAR_RUNS_KEY
            ),
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            rows,
            highlight: Some(0),
        }))
    }
}

/// A kept run's label: the settings in which it differs from `current`, or "same settings".
pub fn label(settings: &[Setting], current: &[Setting]) -> String {
    let differ: Vec<String> = settings
        .iter()
        .filter(|s| !current.contains(s))
        .map(|(name, value)| {
            if name.ends_with('=') {
                format!("{name}{value}")
            } else {
                format!("{name} {value}")
            }
        })
        .collect();
    if differ.is_empty() {
        "same settings".into()
    } else {
        differ.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::lab::Lab;

    #[test]
    fn finished_runs_are_kept_three_deep_and_labelled_by_what_differs() {
        let lab = Lab::new();
        let mut run = Run::<u32>::new("test", &lab);
        let line = |y: f64| Series {
            name: "loss".into(),
            marker: '*',
            points: vec![(0.0, y)],
            faint: false,
        };
        run.keep(vec![("lr", "1".into())], vec![line(9.0)], vec![]);
        assert!(run.history().is_empty(), "an unfinished run is not kept");
        for lr in ["0.1", "0.2", "0.3", "0.4"] {
            run.start(|_| {});
            run.wait_all();
            assert!(run.finished());
            run.keep(
                vec![("lr", lr.into()), ("seed", "1".into())],
                vec![line(1.0)],
                vec![format!("{lr}!")],
            );
        }
        let kept = run.history();
        assert_eq!(kept.len(), MAX_KEPT);
        assert_eq!(kept[0].figures, vec!["0.4!"], "newest first");
        let current = [("lr", "0.3".to_string()), ("seed", "1".to_string())];
        let ghosts = run.ghosts(&current, &[], '·');
        assert_eq!(run.ghosts(&current, &["other"], '·'), vec![]);
        let names: Vec<&str> = ghosts.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["lr 0.4", "same settings", "lr 0.2"]);
        assert!(ghosts.iter().all(|s| s.faint && s.marker == '·'));
        let Some(Part::Table(t)) = run.history_table(&current, &["run", "x"], vec!["now".into()])
        else {
            panic!("a table")
        };
        assert_eq!(t.rows[0], ["this run", "now"]);
        assert_eq!(t.rows[1], ["lr 0.4", "0.4!"]);
        // Another learner's lab keeps nothing of it; clearing forgets.
        assert!(Run::<u32>::new("test", &Lab::new()).history().is_empty());
        assert!(run.clear_history());
        assert!(run.history().is_empty() && !run.clear_history());
    }

    #[test]
    fn a_kept_lm_train_run_holds_about_a_kilobyte() {
        // lm-train's default run: 1500 steps, an evaluation every 50 (31 points), three
        // settings and three figures.
        let kept = Kept {
            settings: vec![
                ("d", "64".into()),
                ("lr", "0.003".into()),
                ("seed", "1".into()),
            ],
            series: vec![Series {
                name: "validation".into(),
                marker: '·',
                points: (0..31).map(|i| (f64::from(i) * 50.0, 2.0)).collect(),
                faint: true,
            }],
            figures: vec!["1.812".into(), "1.904".into(), "12".into()],
        };
        let bytes = kept.bytes();
        assert!((31 * 16..2048).contains(&bytes), "{bytes} bytes");
    }
}
