//! The server's own Ed25519 host key: made on first start in the class folder, then read back
//! every time, so students' `known_hosts` entries stay valid across restarts.

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{HashAlg, PrivateKey};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const FILE_NAME: &str = "host_ed25519_key";

/// `n` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(bytes)
}

/// Reads the host key from the class folder, or makes one there (readable by its owner only)
/// if there is none. Whether it was made now comes back too.
pub fn load_or_create(class: &Path) -> Result<(PrivateKey, bool), String> {
    let path = class.join(FILE_NAME);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let key = PrivateKey::from_openssh(&bytes).map_err(|e| {
                format!(
                    "{}: not an OpenSSH private key ({e}); move it away and a new one is made",
                    path.display()
                )
            })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(class).map_err(|e| format!("{}: {e}", class.display()))?;
            let seed = random_bytes::<32>()?;
            let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| format!("cannot encode the host key: {e}"))?;
            // create_new: never replaces a key another server just wrote.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((key, true))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `SHA256:…`, as `ssh` shows it when it first meets the server.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_read_back_the_same() {
        let class = tempfile::tempdir().unwrap();
        let (a, made) = load_or_create(class.path()).unwrap();
        assert!(made);
        let (b, made) = load_or_create(class.path()).unwrap();
        assert!(!made);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(fingerprint(&a).starts_with("SHA256:"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(class.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_broken_key_file_is_reported_not_replaced() {
        let class = tempfile::tempdir().unwrap();
        std::fs::write(class.path().join(FILE_NAME), "junk").unwrap();
        let err = load_or_create(class.path()).unwrap_err();
        assert!(err.contains(FILE_NAME), "{err}");
        assert_eq!(
            std::fs::read_to_string(class.path().join(FILE_NAME)).unwrap(),
            "junk"
        );
    }
}
