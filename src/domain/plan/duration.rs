//! Durations in plans are written as text (`30s`, `5m`, `250ms`) and held as milliseconds. The
//! serialised form stays text, so a stored plan exports back to the TOML it came from.

use crate::domain::inspection::parse_duration;

/// `30000` → `"30s"`: the largest whole unit (h, m, s, ms).
pub fn duration_text(ms: u64) -> String {
    match ms {
        0 => "0s".to_owned(),
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m if m % 1000 == 0 => format!("{}s", m / 1000),
        m => format!("{m}ms"),
    }
}

/// Milliseconds of a duration text (`parse_duration`, as unsigned).
pub fn duration_ms(text: &str) -> Result<u64, String> {
    parse_duration(text).map(|ms| u64::try_from(ms).unwrap_or(0))
}

/// `#[serde(with = "ms_text")]` for a `u64` of milliseconds written as a duration text.
pub(crate) mod ms_text {
    use serde::{Deserialize as _, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(ms: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::duration_text(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        super::duration_ms(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for ms in [0, 250, 1_000, 30_000, 90_000, 300_000, 3_600_000, 5_400_000] {
            assert_eq!(duration_ms(&duration_text(ms)), Ok(ms), "{ms}");
        }
        assert_eq!(duration_text(90_000), "90s");
        assert_eq!(duration_text(1_500), "1500ms");
        assert!(duration_ms("soon").is_err());
    }
}
