//! Who has signed in to this class before, held in memory so that signing in never waits on
//! the disk: a network thread only ever asks this roster, and a student's folder is made later
//! on their own session thread.
//!
//! It knows two things, read once from the folder names under `students/` when the server
//! starts and kept up to date as students sign in: the keys that have already been admitted
//! with the class code (they sign in without it from then on), and what each name looks like
//! ([`identity::look`]), so a new name that only looks like an existing one is refused.

use super::identity;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Folder names read at start, at most: a class is tens of students; a folder with more than
/// this is not a class folder, and the rest are not read (they still sign in, by code).
const MOST_FOLDERS: usize = 100_000;

#[derive(Debug, Default)]
pub struct Roster {
    /// Fingerprints (`SHA256:…`) of keys admitted with the class code.
    keys: HashSet<String>,
    /// Each known name by its look-alike skeleton.
    looks: HashMap<String, String>,
}

impl Roster {
    /// The roster of the class folder's students (an empty one if it has none yet).
    pub fn load(class: &Path) -> Self {
        let mut roster = Self::default();
        let Ok(entries) = std::fs::read_dir(class.join(identity::STUDENTS)) else {
            return roster;
        };
        for entry in entries.take(MOST_FOLDERS).flatten() {
            let Some(folder) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Some(label) = identity::label_of_folder(&folder) else {
                continue;
            };
            if folder.starts_with("key-") {
                roster.keys.insert(label);
            } else {
                roster.looks.insert(identity::look(&label), label);
            }
        }
        roster
    }

    /// Whether this key has been admitted with the class code before.
    pub fn knows_key(&self, fingerprint: &str) -> bool {
        self.keys.contains(fingerprint)
    }

    /// Remembers a key admitted with the class code.
    pub fn add_key(&mut self, fingerprint: &str) {
        self.keys.insert(fingerprint.to_string());
    }

    /// Admits a (clean) name: a name seen before, or a new one that looks like no other.
    /// `Err` holds the existing name it could be mistaken for.
    pub fn admit_name(&mut self, name: &str) -> Result<(), String> {
        let look = identity::look(name);
        match self.looks.get(&look) {
            Some(known) if known != name => Err(known.clone()),
            Some(_) => Ok(()),
            None => {
                self.looks.insert(look, name.to_string());
                Ok(())
            }
        }
    }

    pub fn students(&self) -> usize {
        self.keys.len() + self.looks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::serve::identity::Student;

    #[test]
    fn look_alike_names_are_refused_and_the_same_name_comes_back_in() {
        let mut roster = Roster::default();
        assert_eq!(roster.admit_name("anna"), Ok(()));
        assert_eq!(roster.admit_name("anna"), Ok(()), "the same student again");
        // Cyrillic а (U+0430) in place of the Latin a.
        assert_eq!(roster.admit_name("\u{430}nna"), Err("anna".into()));
        assert_eq!(roster.admit_name("rnike"), Ok(()));
        assert_eq!(roster.admit_name("mike"), Err("rnike".into()));
        assert_eq!(roster.admit_name("bob"), Ok(()));
        assert_eq!(roster.students(), 3);
    }

    #[test]
    fn the_roster_is_read_from_the_class_folder() {
        let class = tempfile::tempdir().unwrap();
        let anna = Student::by_name("Anna").unwrap();
        anna.record(class.path()).unwrap();
        let keyed = Student::by_key("SHA256:abc+/d", "kim");
        keyed.record(class.path()).unwrap();
        std::fs::create_dir_all(class.path().join("students/not-a-student")).unwrap();
        let mut roster = Roster::load(class.path());
        assert!(roster.knows_key("SHA256:abc+/d"));
        assert!(!roster.knows_key("SHA256:other"));
        assert_eq!(roster.admit_name("\u{430}nna"), Err("anna".into()));
        assert_eq!(roster.students(), 2);
        assert_eq!(Roster::load(&class.path().join("missing")).students(), 0);
    }
}
