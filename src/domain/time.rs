//! Time as the store keeps it: UTC epoch milliseconds (portable `BIGINT` on every backend).

/// Milliseconds since the Unix epoch, UTC.
pub type EpochMs = i64;

/// The current time in epoch milliseconds.
pub fn now_ms() -> EpochMs {
    chrono::Utc::now().timestamp_millis()
}

/// A short human age such as `3s`, `5m`, `2h`, `4d` (for status bars and tables).
pub fn age(from: EpochMs, now: EpochMs) -> String {
    let secs = ((now - from).max(0)) / 1000;
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// An epoch-ms timestamp as `YYYY-MM-DD HH:MM:SS` UTC, or `-` when out of range.
pub fn format_utc(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_pick_the_largest_whole_unit() {
        assert_eq!(age(0, 59_999), "59s");
        assert_eq!(age(0, 60_000), "1m");
        assert_eq!(age(0, 7_200_000), "2h");
        assert_eq!(age(0, 3 * 86_400_000), "3d");
        assert_eq!(
            age(10_000, 0),
            "0s",
            "clock skew never shows a negative age"
        );
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
    }
}
