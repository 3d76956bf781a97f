//! Who a student is, without accounts: their public key's SHA-256 fingerprint when they sign in
//! with a key (admitted once with the class code), else the name they typed with the class code.
//!
//! Each student gets a folder of their own in the class folder, named so that it can never
//! leave it (`key-…` or `name-…` followed by characters safe in any file name), and their
//! progress lives there in the ordinary progress format.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The folder under the class folder that holds one folder per student.
pub const STUDENTS: &str = "students";
/// A small file beside each student's progress: the name they typed and their key's
/// fingerprint, for the teacher's report.
pub const ABOUT_FILE: &str = "student.json";
/// `student.json` holds a name and a fingerprint: well under 1 KiB.
pub const ABOUT_LIMIT: u64 = 16 << 10;
/// Longest name a student may sign in with, in characters.
pub const NAME_LIMIT: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// The folder name under `students/`.
    pub folder: String,
    /// How the student is shown: their name, or their key's fingerprint.
    pub label: String,
    pub about: About,
}

/// What `student.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// The user name given to ssh (for a key, only a hint: anyone may type any name).
    #[serde(default)]
    pub name: String,
    /// `SHA256:…` when the student signed in with a key.
    #[serde(default)]
    pub key: Option<String>,
}

impl Student {
    /// A student known by their public key's fingerprint (`SHA256:` and unpadded base64).
    pub fn by_key(fingerprint: &str, user: &str) -> Self {
        let digest = fingerprint.strip_prefix("SHA256:").unwrap_or(fingerprint);
        // Base64's `/` and `+` become `_` and `-` (the URL-safe alphabet): a file name.
        let safe: String = digest
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        Self {
            folder: format!("key-{safe}"),
            label: format!("SHA256:{digest}"),
            about: About {
                name: clean_name(user).unwrap_or_default(),
                key: Some(format!("SHA256:{digest}")),
            },
        }
    }

    /// A student known by name; `None` when the name is empty, too long or has control
    /// characters. Names are compared without case: "Anna" and "anna" are one student.
    pub fn by_name(user: &str) -> Option<Self> {
        let name = clean_name(user)?;
        Some(Self {
            folder: format!("name-{}", escape(&name)),
            label: name.clone(),
            about: About { name, key: None },
        })
    }

    /// This student's folder.
    pub fn dir(&self, class: &Path) -> PathBuf {
        class.join(STUDENTS).join(&self.folder)
    }

    /// Writes `student.json` if it is missing or says something else (a new name typed with
    /// the same key); written whole to a new file then renamed, so it is never half there.
    pub fn record(&self, class: &Path) -> Result<(), String> {
        let dir = self.dir(class);
        let path = dir.join(ABOUT_FILE);
        // Read with a cap and never waiting: a FIFO or a huge file put there is replaced,
        // not read.
        let old = crate::text::safe_read::read_bytes(&path, ABOUT_LIMIT)
            .ok()
            .and_then(|b| serde_json::from_slice::<About>(&b).ok());
        if old.as_ref() == Some(&self.about) {
            return Ok(());
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string(&self.about).map_err(|e| e.to_string())?;
        // The one atomic writer: temporary file, synced, renamed; the student's alone.
        crate::labs::lm::io::write_private(&path, json.as_bytes())
    }
}

/// The name as the student will see it: in Unicode's compatibility form (NFKC, so full-width
/// "ｂｏｂ" is "bob"), trimmed, lower case, at most [`NAME_LIMIT`] characters, with nothing
/// invisible in it; `None` when it cannot be a name ([`check_name`] says why).
pub fn clean_name(user: &str) -> Option<String> {
    check_name(user).ok()
}

/// [`clean_name`], or why the name was refused, in words for the student.
pub fn check_name(user: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let name: String = user.nfkc().collect::<String>().trim().to_lowercase();
    if name.is_empty() {
        return Err("a name needs at least one letter or digit".into());
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(format!("a name may have at most {NAME_LIMIT} characters"));
    }
    if let Some(c) = name.chars().find(|&c| invisible(c)) {
        return Err(format!(
            "the name holds an invisible or control character (U+{:04X}): type it plainly",
            u32::from(c)
        ));
    }
    Ok(name)
}

/// Characters that change how a name looks or reads without being seen: controls, the
/// direction overrides and isolates that can turn a name around on the teacher's screen
/// (U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners, and the rest of Unicode's
/// default-ignorable code points (variation selectors, the byte-order mark, fillers, tags).
pub fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(u32::from(c),
            0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF)
}

/// A name as the server's log and screens show it: every invisible character (see
/// [`invisible`]) written out as `<U+202E>`, so a name can neither act on a terminal nor turn
/// a line around, and two names that differ only invisibly read differently.
pub fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if invisible(c) || crate::text::sanitize::is_control(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// What a name looks like, for telling look-alikes apart: Unicode's confusable skeleton
/// (UTS #39), under which Cyrillic "а" and Latin "a", or "rn" and "m", are the same.
pub fn look(name: &str) -> String {
    unicode_security::skeleton(name).collect()
}

/// Letters, digits, `.`, `-` and `_` stay; every other byte becomes `%XX`. The result is a
/// valid file name on every system (no `/`, never `.` or `..` since a prefix comes first).
fn escape(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The label a student folder stands for, from its name alone (for a folder without
/// `student.json`): the name, or the key's fingerprint.
pub fn label_of_folder(folder: &str) -> Option<String> {
    if let Some(safe) = folder.strip_prefix("key-") {
        let digest: String = safe
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        return Some(format!("SHA256:{digest}"));
    }
    let escaped = folder.strip_prefix("name-")?;
    let mut bytes = Vec::new();
    let mut rest = escaped.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' && tail.len() >= 2 {
            let hex = std::str::from_utf8(&tail[..2]).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_and_escape_into_safe_folders() {
        let a = Student::by_name("  Anna ").unwrap();
        assert_eq!(a.label, "anna");
        assert_eq!(a.folder, "name-anna");
        assert_eq!(Student::by_name("ANNA").unwrap().folder, a.folder);
        // "../x y" = 2E 2E 2F 78 20 79: the slash and the space are escaped.
        let b = Student::by_name("../x y").unwrap();
        assert_eq!(b.folder, "name-..%2Fx%20y");
        assert!(!b.folder.contains('/'));
        // é is C3 A9 in UTF-8.
        let c = Student::by_name("José").unwrap();
        assert_eq!(c.folder, "name-jos%C3%A9");
        assert_eq!(label_of_folder(&c.folder).as_deref(), Some("josé"));
        assert_eq!(label_of_folder(&b.folder).as_deref(), Some("../x y"));
    }

    #[test]
    fn names_take_one_normal_form_and_nothing_invisible() {
        // Full-width letters are the same student as plain ones.
        assert_eq!(clean_name("ＢＯＢ").as_deref(), Some("bob"));
        for bad in [
            "ann\u{202e}a",
            "an\u{200b}na",
            "\u{2066}x",
            "a\u{feff}",
            "x\u{9b}y",
        ] {
            let why = check_name(bad).unwrap_err();
            assert!(why.contains("invisible"), "{bad:?}: {why}");
        }
        assert_eq!(shown("ann\u{202e}a"), "ann<U+202E>a");
        assert_eq!(shown("a\u{1b}b"), "a<U+001B>b");
        assert_eq!(shown("josé"), "josé");
        assert_eq!(look("\u{430}nna"), look("anna"));
        assert_ne!(look("anna"), look("anne"));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(Student::by_name("").is_none());
        assert!(Student::by_name("   ").is_none());
        assert!(Student::by_name("a\u{1b}[2J").is_none());
        assert!(Student::by_name(&"x".repeat(NAME_LIMIT + 1)).is_none());
        assert!(Student::by_name(&"x".repeat(NAME_LIMIT)).is_some());
    }

    #[test]
    fn keys_become_folders_and_back() {
        let s = Student::by_key("SHA256:ab+c/d9", "Bob");
        assert_eq!(s.folder, "key-ab-c_d9");
        assert_eq!(s.label, "SHA256:ab+c/d9");
        assert_eq!(s.about.name, "bob");
        assert_eq!(
            label_of_folder(&s.folder).as_deref(),
            Some("SHA256:ab+c/d9")
        );
        assert_eq!(label_of_folder("other"), None);
    }

    #[test]
    fn record_writes_once_and_rewrites_on_change() {
        let class = tempfile::tempdir().unwrap();
        let s = Student::by_key("SHA256:k", "amy");
        s.record(class.path()).unwrap();
        let path = s.dir(class.path()).join(ABOUT_FILE);
        let about: About = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(about, s.about);
        let renamed = Student::by_key("SHA256:k", "amelia");
        renamed.record(class.path()).unwrap();
        let about: About = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(about.name, "amelia");
    }
}
