//! Writing model files atomically (a temporary file beside the target, synced, renamed over
//! it, the folder synced) and refusing targets that are links or not regular files.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Checks, before anything is written, that `path` can take a model or recipe: not a
/// symbolic link, not a folder or device, in a folder that exists. `llmf train` asks this
/// before a run, so a bad `--out` is refused at once, not after minutes of training.
pub fn check_target(path: &Path) -> Result<(), String> {
    let name = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(format!(
                "{name} is a symbolic link: llmf does not write through links (it would replace \
                 the file the link points to); remove the link or give another file name"
            ))
        }
        Ok(meta) if !meta.is_file() => {
            return Err(format!(
                "{name} exists and is not a regular file (a folder, FIFO or device): give the \
                 name of a file to write"
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{name}: {e}")),
    }
    let folder = folder_of(path);
    match std::fs::metadata(&folder) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!("{name}: {} is not a folder", folder.display())),
        Err(e) => Err(format!(
            "{name}: its folder {} cannot be used ({e}); create it first",
            folder.display()
        )),
    }
}

/// The folder a file goes in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The prefix of the temporary files [`write`] makes beside `path`.
fn temp_prefix(path: &Path) -> String {
    let base = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{base}.llmf-tmp-")
}

/// Writes bytes atomically (see the module doc), naming the file if it fails. On any error
/// the file that was there is left as it was and the temporary file is removed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_with(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write`] with the writing of the bytes given, so a test can make it fail midway (a full
/// disk) and check what is left.
pub fn write_with(
    path: &Path,
    bytes: &[u8],
    put: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), String> {
    write_as(path, bytes, 0o644, put)
}

/// [`write`] for a file only its owner may read (mode 0600): a learner's saved run, kept
/// beside their progress, which is private on a shared server too.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_as(path, bytes, 0o600, |file, bytes| file.write_all(bytes))
}

/// [`write_with`] creating the file with permission bits `mode` (less the umask).
fn write_as(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    put: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display();
    check_target(path)?;
    let folder = folder_of(path);
    remove_stale_temps(path, &folder);
    let prefix = temp_prefix(path);
    let (temp, mut file) = (0..100)
        .find_map(|i| {
            let temp = folder.join(format!("{prefix}{}-{i}", std::process::id()));
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temp)
                .ok()
                .map(|f| (temp, f))
        })
        .ok_or_else(|| {
            format!(
                "{name}: cannot create a temporary file in {} (is the folder writable?)",
                folder.display()
            )
        })?;
    let written = put(&mut file, bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(format!(
            "{name}: cannot write: {e}; the file that was there (if any) is unchanged"
        ));
    }
    // The rename is durable once the folder's entry is on disk.
    if let Ok(dir) = File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Removes temporary files a killed `llmf` left beside `path` (their process is gone).
fn remove_stale_temps(path: &Path, folder: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() as i32
                || rustix::process::Pid::from_raw(pid).is_some_and(|p| {
                    // Another user's live process answers EPERM: only "no such process" is gone.
                    rustix::process::test_kill_process(p) != Err(rustix::io::Errno::SRCH)
                })
        });
        if !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        write(&path, b"old model").unwrap();
        // A disk that fills halfway through the new file.
        let e = write_with(&path, b"a new and longer model", |file, bytes| {
            file.write_all(&bytes[..8])?;
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        })
        .unwrap_err();
        assert!(
            e.contains("No space left") && e.contains("unchanged"),
            "{e}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"old model");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn a_link_at_the_target_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("m.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = write(&link, b"{}").unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn temporary_files_of_dead_processes_are_cleared_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let prefix = temp_prefix(&path);
        // PID 0x7fff_fff0 is above any kernel's pid_max: no such process.
        let dead = dir.path().join(format!("{prefix}2147483632-0"));
        let live = dir.path().join(format!("{prefix}{}-7", std::process::id()));
        std::fs::write(&dead, "partial").unwrap();
        std::fs::write(&live, "in progress").unwrap();
        write(&path, b"model").unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
    }
}
