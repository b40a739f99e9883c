//! Key names operators may create, and the random credentials generated on first start.

use super::ConfigError;

pub(super) fn check_name(key: &str) -> Result<(), ConfigError> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadName {
            key: key.to_owned(),
            message: "a key name is 1 to 128 characters of A-Z, a-z, 0-9, _ - .".into(),
        })
    }
}

pub(super) fn random_token(len: usize) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
