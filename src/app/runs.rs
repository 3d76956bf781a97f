//! Runs that outlive a session: when the app ends, every run going or paused is saved to the
//! learner's data directory ([`crate::viz::run::saved`]); the next time its step is opened,
//! the new panel brings it back paused, with the line it shows after leaving the step, and
//! the run key resumes it from the step it reached.

use super::App;
use crate::app::panel::PanelState;
use crate::viz::run::saved;
use std::path::PathBuf;

impl App {
    /// Where the run of `(lesson, step)` is saved, when progress is kept on disk.
    fn run_path(&self, (lesson, step): (usize, usize)) -> Option<PathBuf> {
        let dir = self.data_dir.as_ref()?;
        let slug = &self.course.lessons.get(lesson)?.slug;
        Some(saved::path(dir, slug, step))
    }

    /// A new panel of the current step picks up the run saved there in an earlier session.
    /// A file it cannot trust is removed and the learner told why, once; the panel starts
    /// afresh.
    pub(super) fn restore_run(&mut self, panel: &mut PanelState) {
        let PanelState::Viz(viz) = panel else {
            return;
        };
        let Some(path) = self.run_path((self.lesson, self.step)) else {
            return;
        };
        // Named from the data directory, so a student on a shared server is not shown where
        // the server keeps its class folder.
        let origin = path.file_name().map_or_else(String::new, |name| {
            format!("{}/{}", saved::FOLDER, name.to_string_lossy())
        });
        let restored = match saved::read(&path) {
            Ok(None) => return,
            Ok(Some(bytes)) => viz.restore(&bytes, &origin),
            Err(e) => Err(e),
        };
        if let Err(e) = restored {
            let removed = saved::remove(&path).is_ok();
            self.notices.push(format!(
                "{}{}",
                crate::text::sanitize::field(&e),
                if removed {
                    " (the file was removed: this step's panel starts afresh)"
                } else {
                    ""
                }
            ));
        }
    }

    /// Saves every run going or paused (the current panel's and those of steps left this
    /// session) and removes the files of runs that have since ended or were cleared. Returns
    /// what could not be saved.
    pub(super) fn suspend_runs(&mut self) -> Vec<String> {
        let mut at: Vec<(usize, usize)> = self.kept.keys().copied().collect();
        at.push(self.panel_at);
        let paths: Vec<Option<PathBuf>> = at.iter().map(|a| self.run_path(*a)).collect();
        let mut problems = Vec::new();
        for (a, path) in at.into_iter().zip(paths) {
            let viz = if a == self.panel_at {
                match &mut self.panel {
                    PanelState::Viz(v) => Some(v),
                    _ => None,
                }
            } else {
                self.kept.get_mut(&a)
            };
            let Some(viz) = viz else { continue };
            let file = viz.suspend();
            let Some(path) = path else { continue };
            let done = match file {
                Some(Ok(bytes)) => saved::write(&path, &bytes),
                Some(Err(e)) => Err(e),
                None => saved::remove(&path),
            };
            problems.extend(done.err());
        }
        problems
    }
}
