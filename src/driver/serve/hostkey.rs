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
    match crate::text::safe_read::read_bytes(&path, KEY_LIMIT) {
        Ok(bytes) => Ok((usable(&path, &bytes)?, false)),
        Err(crate::text::safe_read::ReadError::Missing(_)) => {
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
        Err(e) => Err(format!(
            "{e}\nThe host key must be a regular file: move it away and a new one is made."
        )),
    }
}

/// An OpenSSH private key file is a few hundred bytes (an RSA key of 16,384 bits is under
/// 13 KB).
const KEY_LIMIT: u64 = 64 << 10;

/// The key in `bytes`, if the server can use it as it is: an OpenSSH private key, not
/// protected by a passphrase (no one is there to type it, and russh would fail every key
/// exchange without a word), and readable by its owner only.
fn usable(path: &Path, bytes: &[u8]) -> Result<PrivateKey, String> {
    let shown = crate::text::sanitize::field(&path.to_string_lossy()).into_owned();
    let key = PrivateKey::from_openssh(bytes).map_err(|e| {
        format!("{shown}: not an OpenSSH private key ({e}); move it away and a new one is made")
    })?;
    if key.is_encrypted() {
        return Err(format!(
            "{shown}: the key is protected by a passphrase, which a server cannot type when it \
             starts. Remove the passphrase (ssh-keygen -p -N '' -f {shown}) or move the file \
             away and a new key is made."
        ));
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown}: other users can read this private key (mode {:04o}), so they could pose \
             as this server. Run: chmod 600 {shown}",
            mode & 0o7777
        ));
    }
    Ok(key)
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
    fn keys_the_server_cannot_use_stop_it_with_a_message() {
        use std::os::unix::fs::PermissionsExt;
        let class = tempfile::tempdir().unwrap();
        let path = class.path().join(FILE_NAME);
        load_or_create(class.path()).unwrap();
        // Readable by others: refused, and the key is left as it was.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(class.path()).unwrap_err();
        assert!(err.contains("chmod 600") && err.contains("0644"), "{err}");
        // A passphrase (made by OpenSSH's own ssh-keygen, where the machine has it): refused
        // with the way to remove it.
        std::fs::remove_file(&path).unwrap();
        let keygen = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "secret", "-f"])
            .arg(&path)
            .status();
        if keygen.is_ok_and(|s| s.success()) {
            let err = load_or_create(class.path()).unwrap_err();
            assert!(err.contains("passphrase"), "{err}");
        }
        // A FIFO is refused at once (opening it without O_NONBLOCK would wait forever).
        std::fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let err = load_or_create(class.path()).unwrap_err();
        assert!(err.contains("regular file"), "{err}");
        // A link to a device that never ends is refused, not read.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let err = load_or_create(class.path()).unwrap_err();
        assert!(err.contains("regular file"), "{err}");
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
