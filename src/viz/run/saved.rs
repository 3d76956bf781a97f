//! A run saved across sessions: when the app closes, a paused or running run is written to
//! the learner's data directory (beside their progress; under `llmf serve`, each student's
//! own), and the panel of the same step brings it back paused the next time.
//!
//! # The file
//! `<data dir>/runs/<lesson slug>-<step>.run`, at most [`MAX_FILE`] bytes:
//! ```text
//! llmf-run/1\n                    the format (another value: another format)
//! u32, little-endian              length of the header (at most MAX_HEADER)
//! header: JSON                    {"kind", "elapsed_ms", "done", "panel": the kind's state}
//! the work's state                the kind's own bytes (lm-train: a training checkpoint)
//! ```
//! It is written whole or not at all ([`crate::labs::lm::io::write`]: a temporary file,
//! synced, renamed over the old one) and read back as untrusted input: [`decode`] checks
//! every length against the bytes there are and names the file and what is wrong; the kind
//! then checks its own parts (the checkpoint loader validates shapes and weights).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What every saved run starts with.
pub const MAGIC: &[u8] = b"llmf-run/1\n";
/// The largest run file read or written (lm-train's largest model, d 96 with two layers,
/// checkpoints in about 3 MB: weights and two optimizer moments).
pub const MAX_FILE: u64 = 16 << 20;
/// The largest header (settings, a loss curve of a few thousand points, samples).
pub const MAX_HEADER: usize = 1 << 20;
/// The longest time a saved run may claim to have run (a guard against nonsense).
const MAX_ELAPSED_MS: u64 = 30 * 24 * 3600 * 1000;
/// The folder of the data directory that holds saved runs.
pub const FOLDER: &str = "runs";

/// The run's life and the kind's state, as the header holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub kind: String,
    pub elapsed_ms: u64,
    pub done: f64,
    pub panel: serde_json::Value,
}

/// The bytes of a run file.
pub fn encode(header: &Header, work: &[u8]) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(header).map_err(|e| format!("saving a run: {e}"))?;
    if json.len() > MAX_HEADER {
        return Err(format!(
            "saving a run: its header takes {} bytes, more than the {MAX_HEADER} a run file may",
            json.len()
        ));
    }
    let total = MAGIC.len() + 4 + json.len() + work.len();
    if total as u64 > MAX_FILE {
        return Err(format!(
            "saving a run: {total} bytes, more than the {MAX_FILE} a run file may"
        ));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(work);
    Ok(out)
}

/// The header and the work's state of a run file's `bytes`; `origin` names the file.
pub fn decode<'a>(bytes: &'a [u8], origin: &str) -> Result<(Header, &'a [u8]), String> {
    let bad = |what: &str| format!("{origin}: not a saved run llmf can resume ({what})");
    if bytes.len() as u64 > MAX_FILE {
        return Err(bad(&format!("larger than {MAX_FILE} bytes")));
    }
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("it does not start with \"llmf-run/1\""))?;
    let (len, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("it ends before its header"))?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > MAX_HEADER || len > rest.len() {
        return Err(bad(&format!(
            "its header claims {len} bytes; {} are there, and at most {MAX_HEADER} are read",
            rest.len()
        )));
    }
    let (json, work) = rest.split_at(len);
    let header: Header = serde_json::from_slice(json).map_err(|e| bad(&format!("header: {e}")))?;
    if header.kind.is_empty() || header.kind.len() > 64 {
        return Err(bad("its kind is empty or longer than 64 bytes"));
    }
    if !(0.0..=1.0).contains(&header.done) {
        return Err(bad("its share done is not between 0 and 1"));
    }
    if header.elapsed_ms > MAX_ELAPSED_MS {
        return Err(bad("it claims to have run for more than 30 days"));
    }
    Ok((header, work))
}

/// Where the run of step `step` (0-based) of lesson `slug` is saved, under `dir` (the
/// learner's data directory). A slug is a plain name; anything else in it is spelled `_`.
pub fn path(dir: &Path, slug: &str, step: usize) -> PathBuf {
    let name: String = slug
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(FOLDER).join(format!("{name}-{}.run", step + 1))
}

/// The saved run at `path`, if there is one (at most [`MAX_FILE`] bytes of a regular file).
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match crate::text::safe_read::read_bytes(path, MAX_FILE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(crate::text::safe_read::ReadError::Missing(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes a run file whole or not at all, making the folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(folder) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?;
    }
    crate::labs::lm::io::write_private(path, bytes)
}

/// Forgets the run saved at `path` (it resumed, ended or was refused); a missing file is fine.
pub fn remove(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            kind: "lm-train".into(),
            elapsed_ms: 1234,
            done: 0.25,
            panel: serde_json::json!({"step": 40}),
        }
    }

    #[test]
    fn a_run_file_reads_back_as_written() {
        let bytes = encode(&header(), b"state").unwrap();
        let (h, work) = decode(&bytes, "x.run").unwrap();
        assert_eq!(h, header());
        assert_eq!(work, b"state");
    }

    #[test]
    fn corrupt_or_hostile_files_are_refused_with_the_file_named_never_a_panic() {
        let good = encode(&header(), b"state").unwrap();
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"llmf-run/2\n".to_vec(),
            MAGIC.to_vec(),
            [MAGIC, &u32::MAX.to_le_bytes()[..], b"{}"].concat(),
            [MAGIC, &5u32.to_le_bytes()[..], b"{not json"].concat(),
        ];
        // Every cut of a good file, and every single byte flipped in its header.
        cases.extend((0..MAGIC.len() + 4 + 10).map(|n| good[..n].to_vec()));
        for at in 0..MAGIC.len() + 4 {
            let mut b = good.clone();
            b[at] ^= 0xff;
            cases.push(b);
        }
        let lie = |h: Header| encode(&h, b"").unwrap();
        cases.push(lie(Header {
            done: 7.0,
            ..header()
        }));
        cases.push(lie(Header {
            elapsed_ms: u64::MAX,
            ..header()
        }));
        cases.push(lie(Header {
            kind: String::new(),
            ..header()
        }));
        for case in cases {
            let err = decode(&case, "/home/a/runs/x.run").unwrap_err();
            assert!(err.starts_with("/home/a/runs/x.run: "), "{err}");
        }
    }

    #[test]
    fn a_run_file_is_named_by_lesson_and_step_and_written_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "15-pretraining", 6);
        assert!(p.ends_with("runs/15-pretraining-7.run"), "{}", p.display());
        assert!(path(dir.path(), "../x/y", 0).ends_with("runs/___x_y-1.run"));
        assert_eq!(read(&p).unwrap(), None);
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(read(&p).unwrap().as_deref(), Some(&b"two"[..]));
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        // A learner's run is theirs alone, like their progress, on a shared server too.
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().unwrap()), 0o700);
        remove(&p).unwrap();
        remove(&p).unwrap();
        assert_eq!(read(&p).unwrap(), None);
    }
}
