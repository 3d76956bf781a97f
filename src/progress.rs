//! The learner's progress: where they are and what they answered, kept in one JSON file.
//!
//! Every write goes to a temporary file that is then renamed over the old one, under a lock,
//! after merging with what is on disk: so a crash never leaves half a file, and two `llmf`
//! instances at once lose nothing. A corrupt file is moved aside, never overwritten; a
//! read-only home leaves the course usable, with a warning.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "progress.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub version: u32,
    /// Slug of the lesson open last.
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The step open last (0-based).
    #[serde(default)]
    pub step: usize,
    #[serde(default)]
    pub visited: BTreeSet<usize>,
    /// Reached the last step.
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub answers: BTreeMap<String, AnswerRecord>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub correct: bool,
    pub attempts: u32,
    /// Right on the first attempt.
    #[serde(default)]
    pub first_try: bool,
}

impl Progress {
    /// Combines what another instance saved with ours: nothing either side learned is lost;
    /// where both say where the learner is, ours (the newer) wins.
    pub fn merge_from(&mut self, disk: &Progress) {
        for (slug, theirs) in &disk.lessons {
            let ours = self
                .lessons
                .entry(slug.clone())
                .or_insert_with(|| theirs.clone());
            ours.visited.extend(theirs.visited.iter().copied());
            ours.done |= theirs.done;
            for (id, t) in &theirs.answers {
                let o = ours.answers.entry(id.clone()).or_insert(*t);
                o.correct |= t.correct;
                o.first_try |= t.first_try;
                o.attempts = o.attempts.max(t.attempts);
            }
        }
        if self.current.is_none() {
            self.current.clone_from(&disk.current);
        }
    }

    pub fn lesson(&self, slug: &str) -> Option<&LessonProgress> {
        self.lessons.get(slug)
    }

    pub fn lesson_mut(&mut self, slug: &str) -> &mut LessonProgress {
        self.lessons.entry(slug.to_string()).or_default()
    }
}

/// Where progress lives: `$LLMF_HOME`, else `$XDG_DATA_HOME/llmf`, else `~/.local/share/llmf`.
pub fn default_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(home) = env("LLMF_HOME") {
        return Some(home);
    }
    if let Some(data) = env("XDG_DATA_HOME") {
        return Some(data.join("llmf"));
    }
    env("HOME").map(|h| h.join(".local/share/llmf"))
}

/// Reads and writes the progress file; with no folder it keeps progress in memory only.
#[derive(Debug)]
pub struct Store {
    dir: Option<PathBuf>,
    /// Set once a save failed: shown to the learner, and further saves are still tried.
    pub warning: Option<String>,
}

impl Store {
    /// A store that never touches the disk (tests, benchmarks, `render`).
    pub fn memory() -> Self {
        Self {
            dir: None,
            warning: None,
        }
    }

    pub fn path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(FILE_NAME))
    }

    /// Opens the progress in `dir`; messages say what happened to a missing, corrupt or
    /// unreadable file. Never fails: the worst case is a fresh start kept in memory.
    pub fn open(dir: Option<PathBuf>) -> (Self, Progress, Vec<String>) {
        let mut messages = Vec::new();
        let Some(dir) = dir else {
            messages.push(
                "no home folder found (set LLMF_HOME): progress is kept only until you quit".into(),
            );
            return (Self::memory(), Progress::default(), messages);
        };
        let path = dir.join(FILE_NAME);
        let mut store = Self {
            dir: Some(dir),
            warning: None,
        };
        let progress = match fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<Progress>(&text) {
                Ok(p) => p,
                Err(e) => {
                    let aside = aside_name(&path);
                    match fs::rename(&path, &aside) {
                        Ok(()) => messages.push(format!(
                            "{}: the progress file was unreadable ({e}); it was moved to {} and a fresh one started",
                            path.display(),
                            aside.display()
                        )),
                        Err(re) => {
                            messages.push(format!(
                                "{}: the progress file is unreadable ({e}) and could not be moved aside ({re}); it will not be overwritten, so progress is kept only until you quit",
                                path.display()
                            ));
                            store.dir = None;
                            store.warning = Some("progress not saved: the progress file is unreadable".into());
                        }
                    }
                    Progress::default()
                }
            },
            // Nothing there (or no folder can be there): start fresh; a save will say if the
            // folder cannot be made.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Progress::default()
            }
            Err(e) => {
                messages.push(format!(
                    "{}: cannot read progress ({e}); it will not be overwritten, so progress is kept only until you quit",
                    path.display()
                ));
                store.dir = None;
                store.warning = Some(format!(
                    "progress not saved: cannot read {}",
                    path.display()
                ));
                Progress::default()
            }
        };
        (store, progress, messages)
    }

    /// Saves `progress`, first merging in whatever another instance saved meanwhile (the
    /// merged result is written back into `progress`).
    pub fn save(&mut self, progress: &mut Progress) {
        let Some(dir) = self.dir.clone() else { return };
        match write_merged(&dir, progress) {
            Ok(()) => self.warning = None,
            Err(e) => {
                self.warning = Some(format!("progress not saved: {e}"));
            }
        }
    }

    /// Deletes the saved progress.
    pub fn reset(&mut self) -> Result<(), String> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let path = dir.join(FILE_NAME);
        let _lock = lock(dir)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

fn aside_name(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"))
}

/// An exclusive lock on `progress.lock`, released when the file is dropped.
fn lock(dir: &Path) -> Result<File, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("progress.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.lock()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file)
}

fn write_merged(dir: &Path, progress: &mut Progress) -> Result<(), String> {
    let _lock = lock(dir)?;
    let path = dir.join(FILE_NAME);
    if let Ok(text) = fs::read_to_string(&path) {
        match serde_json::from_str::<Progress>(&text) {
            Ok(disk) => progress.merge_from(&disk),
            Err(_) => {
                // Someone else's broken file: keep it for inspection rather than overwrite it.
                let _ = fs::rename(&path, aside_name(&path));
            }
        }
    }
    progress.version = 1;
    let json = serde_json::to_string_pretty(progress).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!("{FILE_NAME}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(json.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(())
}
