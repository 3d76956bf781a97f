//! Bounded reads of regular files: the only way llmf reads a file it did not write itself.
//!
//! A path from a course folder or the command line may name a FIFO (reading it waits for a
//! writer forever), a device (`/dev/zero` never ends) or a huge file (parsing it freezes the
//! screen). So a file is opened without waiting (`O_NONBLOCK`), checked to be a regular file
//! on the open handle itself (no window for a swap), and read up to a limit that fits real
//! use; anything else is refused with a message that names the file and the limit.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path};

/// A lesson file: the longest real lesson is about 30 KB; 1 MiB is 30 times that.
pub const LESSON_LIMIT: u64 = 1 << 20;
/// `course.json`: a list of 25 file names is about 2 KB.
pub const MANIFEST_LIMIT: u64 = 256 << 10;
/// A `tokenizer.json`: real ones run from 0.5 MB (GPT-2) to about 35 MB (Gemma 3).
pub const TOKENIZER_LIMIT: u64 = 64 << 20;
/// `progress.json`: the whole course answered is under 100 KB.
pub const PROGRESS_LIMIT: u64 = 1 << 20;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing there (or a parent is not a folder).
    Missing(String),
    /// A FIFO, device, folder or socket.
    NotRegular(String),
    /// Larger than the limit.
    TooLarge(String),
    /// Any other failure, including text that is not UTF-8.
    Io(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ReadError::Missing(m)
        | ReadError::NotRegular(m)
        | ReadError::TooLarge(m)
        | ReadError::Io(m)) = self;
        f.write_str(m)
    }
}

impl From<ReadError> for String {
    fn from(e: ReadError) -> String {
        e.to_string()
    }
}

/// A student's `student.json` in a class folder (a name and a key's fingerprint): a few
/// hundred bytes; 64 KiB is a hundred times that.
pub const ABOUT_LIMIT: u64 = 64 << 10;

/// Opens a file for reading without waiting (`O_NONBLOCK`: a FIFO with no writer would
/// otherwise block the open itself) and checks, on the open handle, that it is a regular
/// file. Returns the file and its size, for readers that check a header before reading on.
pub fn open_regular(path: &Path) -> Result<(File, u64), ReadError> {
    let name = path.display();
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => {
                ReadError::Missing(format!("{name}: no such file"))
            }
            _ => ReadError::Io(format!("{name}: {e}")),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| ReadError::Io(format!("{name}: {e}")))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, device or socket)"
        };
        return Err(ReadError::NotRegular(format!(
            "{name} is {what}: give a regular file"
        )));
    }
    Ok((file, meta.len()))
}

/// The refusal for a file larger than `limit`.
pub fn too_large(path: &Path, limit: u64) -> ReadError {
    ReadError::TooLarge(format!(
        "{} is larger than {}, the most llmf reads for such a file",
        path.display(),
        human(limit)
    ))
}

/// Reads a regular file of at most `limit` bytes.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(too_large(path, limit));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow after the check: never read past the limit.
    read_limited(file, limit, &mut bytes)
        .map_err(|e| ReadError::Io(format!("{}: {e}", path.display())))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

fn read_limited(file: File, limit: u64, into: &mut Vec<u8>) -> std::io::Result<usize> {
    file.take(limit + 1).read_to_end(into)
}

/// Reads a regular UTF-8 text file of at most `limit` bytes; a byte-order mark at the start
/// (some Windows editors write one) is dropped.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(format!(
            "{}: not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(strip_bom(text))
}

/// Drops a UTF-8 byte-order mark from the start of `text`.
pub fn strip_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A limit as people say it: `1 MiB`, `256 KiB`.
pub fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Checks a file name from `course.json`: relative, inside the course folder (no `..`, no
/// absolute path, nothing empty). A course folder is data and names nothing outside itself.
pub fn course_entry(name: &str) -> Result<(), String> {
    let path = Path::new(name);
    if name.is_empty() || name.contains('\0') {
        return Err(format!(
            "\"{name}\" is not a file name: list lesson files such as \"06-attention-math.md\""
        ));
    }
    for part in path.components() {
        match part {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "\"{name}\" leaves the course folder (..): keep every lesson inside it"
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "\"{name}\" is an absolute path: name lessons relative to the course folder"
                ))
            }
        }
    }
    Ok(())
}

/// Checks that `path` (an existing file) lies inside `root` once symbolic links are
/// followed, so a link in a course folder cannot point it at a file elsewhere.
pub fn inside(root: &Path, path: &Path) -> Result<(), String> {
    let (Ok(root_real), Ok(real)) = (root.canonicalize(), path.canonicalize()) else {
        // A missing file is reported by the read that follows.
        return Ok(());
    };
    if real.starts_with(&root_real) {
        Ok(())
    } else {
        Err(format!(
            "{} is a link to a file outside the course folder: copy the file in instead",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_parent_and_absolute_entries_and_takes_plain_ones() {
        assert!(course_entry("06-attention.md").is_ok());
        assert!(course_entry("./part1/06-attention.md").is_ok());
        assert!(course_entry("../06-attention.md").is_err());
        assert!(course_entry("a/../../etc/passwd").is_err());
        assert!(course_entry("/etc/shadow").is_err());
        assert!(course_entry("").is_err());
    }

    #[test]
    fn limits_read_as_people_say_them() {
        assert_eq!(human(LESSON_LIMIT), "1 MiB");
        assert_eq!(human(MANIFEST_LIMIT), "256 KiB");
        assert_eq!(human(1000), "1000 bytes");
    }

    #[test]
    fn reads_a_file_strips_a_bom_and_refuses_one_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, "\u{feff}# Title\n").unwrap();
        assert_eq!(read_text(&path, 100).unwrap(), "# Title\n");
        // 11 bytes: 3 for the mark, 8 for the text.
        assert!(matches!(read_text(&path, 10), Err(ReadError::TooLarge(_))));
        assert!(matches!(
            read_text(dir.path(), 100),
            Err(ReadError::NotRegular(_))
        ));
        assert!(matches!(
            read_text(&dir.path().join("none"), 100),
            Err(ReadError::Missing(_))
        ));
    }
}
