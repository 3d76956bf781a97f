//! The learner's progress: where they are and what they answered, kept in one JSON file.
//!
//! Every write goes to a temporary file that is then renamed over the old one, under a lock,
//! after merging with what is on disk: so a crash never leaves half a file, and two `llmf`
//! instances at once lose nothing. A corrupt file is moved aside, never overwritten; a
//! read-only home leaves the course usable, with a warning.

pub mod record;

use crate::text::safe_read::{self, ReadError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

mod writer;
pub use writer::Writer;

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

    /// Refuses values no real course produces (a step past the thousandth, a name longer
    /// than a line): a hand-edited or hostile file must not reach the screen through an
    /// overflow such as `step + 1`.
    pub fn validate(&self) -> Result<(), String> {
        const MAX_STEP: usize = 1000;
        const MAX_NAME: usize = 200;
        let long = |s: &str| s.len() > MAX_NAME;
        if self.current.as_deref().is_some_and(long) {
            return Err(format!("\"current\" is longer than {MAX_NAME} bytes"));
        }
        if self.lessons.len() > MAX_STEP {
            return Err(format!("more than {MAX_STEP} lessons"));
        }
        for (slug, l) in &self.lessons {
            if long(slug) {
                return Err(format!("a lesson name is longer than {MAX_NAME} bytes"));
            }
            if l.step >= MAX_STEP || l.visited.iter().any(|s| *s >= MAX_STEP) {
                return Err(format!(
                    "lesson {}: a step number is over {MAX_STEP}",
                    crate::text::sanitize::field(slug)
                ));
            }
            if l.answers.len() > MAX_STEP || l.answers.keys().any(|k| long(k)) {
                return Err(format!(
                    "lesson {}: too many or too long question ids",
                    crate::text::sanitize::field(slug)
                ));
            }
        }
        Ok(())
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

    /// The learner's data directory (progress, saved runs), when progress is kept on disk.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
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
        let progress = match read_disk(&path) {
            Disk::Missing => Progress::default(),
            Disk::Good(p) => p,
            Disk::Unusable(why) => {
                match move_aside(&path) {
                    Ok(aside) => messages.push(format!(
                        "{}: the progress file was unreadable ({why}); it was moved to {} and a fresh one started",
                        path.display(),
                        aside.display()
                    )),
                    Err(re) => {
                        messages.push(format!(
                            "{}: the progress file is unreadable ({why}) and could not be moved aside ({re}); it will not be overwritten, so progress is kept only until you quit",
                            path.display()
                        ));
                        store.dir = None;
                        store.warning =
                            Some("progress not saved: the progress file is unreadable".into());
                    }
                }
                Progress::default()
            }
            Disk::Unreadable(e) => {
                messages.push(format!(
                    "cannot read progress ({e}); it will not be overwritten, so progress is kept only until you quit"
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

/// Reads a progress file and changes nothing (the teacher's report over a class folder):
/// a missing file is `Ok(None)`; a broken or unreadable one is an error saying why.
pub fn read_only(path: &Path) -> Result<Option<Progress>, String> {
    match read_disk(path) {
        Disk::Missing => Ok(None),
        Disk::Good(p) => Ok(Some(p)),
        Disk::Unusable(why) | Disk::Unreadable(why) => Err(format!("{}: {why}", path.display())),
    }
}

/// What is on disk at the progress file's path.
enum Disk {
    Missing,
    Good(Progress),
    /// Not JSON, not ours, out of range or too large: kept aside, never overwritten.
    Unusable(String),
    /// Cannot be read at all (permissions, a FIFO or device): left alone.
    Unreadable(String),
}

fn read_disk(path: &Path) -> Disk {
    match safe_read::read_bytes(path, safe_read::PROGRESS_LIMIT) {
        Err(ReadError::Missing(_)) => Disk::Missing,
        Err(e @ ReadError::TooLarge(_)) => Disk::Unusable(e.to_string()),
        Err(e @ (ReadError::NotRegular(_) | ReadError::Io(_))) => Disk::Unreadable(e.to_string()),
        Ok(bytes) => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            match serde_json::from_slice::<Progress>(bytes) {
                Err(e) => Disk::Unusable(e.to_string()),
                Ok(p) => match p.validate() {
                    Ok(()) => Disk::Good(p),
                    Err(e) => Disk::Unusable(e),
                },
            }
        }
    }
}

/// Moves a broken progress file to `progress.json.corrupt-<seconds>` (then `-2`, `-3`, …),
/// never replacing an earlier backup: a hard link fails if the name is taken, then the
/// original name is removed.
fn move_aside(path: &Path) -> Result<PathBuf, String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for n in 1..=1000u32 {
        let name = if n == 1 {
            format!("{FILE_NAME}.corrupt-{stamp}")
        } else {
            format!("{FILE_NAME}.corrupt-{stamp}-{n}")
        };
        let aside = path.with_file_name(name);
        match fs::hard_link(path, &aside) {
            Ok(()) => {
                fs::remove_file(path).map_err(|e| e.to_string())?;
                return Ok(aside);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: rename, after making sure the name is free.
            Err(_) if fs::symlink_metadata(&aside).is_err() => {
                fs::rename(path, &aside).map_err(|e| e.to_string())?;
                return Ok(aside);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("too many corrupt copies are kept already: remove some".into())
}

/// An exclusive lock on `progress.lock`, released when the file is dropped. A symbolic link
/// planted at that name is refused (`O_NOFOLLOW`), so the lock can never create or touch a
/// file elsewhere.
fn lock(dir: &Path) -> Result<File, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("progress.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => format!(
                "{} is a symbolic link, which llmf never follows: remove it",
                path.display()
            ),
            _ => format!("{}: {e}", path.display()),
        })?;
    // flock through rustix: File::lock needs Rust 1.89, the crate promises 1.86.
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file)
}

const TMP_PREFIX: &str = "progress.json.tmp-";

/// Creates a new temporary file beside the progress file, under a name no one can guess
/// ahead, exclusively (`O_EXCL`: a file or link already there makes it fail, and a link is
/// never followed).
fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, File)> {
    use std::hash::{BuildHasher, Hasher};
    let mut last = None;
    for _ in 0..16 {
        // RandomState is seeded from the operating system's random source.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let path = dir.join(format!("{TMP_PREFIX}{:016x}", h.finish()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Removes temporary files that a killed `llmf` left behind. Called under the lock: every
/// writer holds it while its temporary file exists, so any found now is stale.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(TMP_PREFIX)
            && entry
                .file_type()
                .is_ok_and(|t| t.is_file() || t.is_symlink());
        if stale {
            // Removing a link removes the link only, never its target.
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_merged(dir: &Path, progress: &mut Progress) -> Result<(), String> {
    let _lock = lock(dir)?;
    remove_stale_temps(dir);
    let path = dir.join(FILE_NAME);
    match read_disk(&path) {
        Disk::Missing => {}
        Disk::Good(disk) => progress.merge_from(&disk),
        // Someone else's broken file: keep it for inspection rather than overwrite it.
        Disk::Unusable(_) => {
            move_aside(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Disk::Unreadable(e) => return Err(e),
    }
    progress.version = 1;
    let json = serde_json::to_string(progress).map_err(|e| e.to_string())?;
    let (tmp, mut file) = create_temp(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let written = (|| {
        file.write_all(json.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_files_are_new_private_and_unguessable() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = create_temp(dir.path()).unwrap();
        let (b, _) = create_temp(dir.path()).unwrap();
        assert_ne!(a, b);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn move_aside_never_replaces_an_earlier_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "one").unwrap();
        let first = move_aside(&path).unwrap();
        fs::write(&path, "two").unwrap();
        let second = move_aside(&path).unwrap();
        assert_ne!(first, second);
        assert_eq!(fs::read_to_string(first).unwrap(), "one");
        assert_eq!(fs::read_to_string(second).unwrap(), "two");
        assert!(!path.exists());
    }
}
