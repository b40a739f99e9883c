//! System configuration (后台管理: 系统配置 + 系统开关), DOMAIN.md §2: the registry of every key and
//! switch, their defaults, schemas, secret paths, and the rules that apply to a value. Pure: the
//! store persists, `crate::sysconfig` encrypts and orchestrates.

mod filters;
mod registry;
mod secrets;
mod validate;

pub use filters::{DS_TYPES, keeps_ds_type, keeps_level};
pub use registry::{Group, KeySpec, Kind, REGISTRY, lookup, suggest};
pub use secrets::{
    DECLARED, MASK, declared_pointers, is_secret_field, mask, replace_url_password, restore_masked,
    secret_pointers, url_password, url_secret_pointers,
};
pub use validate::{ConfigProblem, MAX_VALUE_BYTES, parse_input, validate};

/// Where a key stands, as the Config pane and `config list` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    /// Never saved, or saved by the system's first-start generator.
    Default,
    Modified,
    /// Saved, and a live engine has not adopted this version yet (it does within its poll,
    /// ≤ 30 s): "modified" would claim an effect that has not happened.
    Pending,
    /// Saved after the running engine started, and the key needs a restart to take effect.
    RestartNeeded,
    /// Version-gated key saved without raising `version`: the engine keeps the old one.
    NotApplied,
    /// The stored value no longer validates (schema changed, or written behind our back).
    Invalid(String),
}

impl KeyState {
    pub fn label(&self) -> &'static str {
        match self {
            KeyState::Default => "default",
            KeyState::Modified => "modified",
            KeyState::Pending => "applying",
            KeyState::RestartNeeded => "restart needed",
            KeyState::NotApplied => "not applied",
            KeyState::Invalid(_) => "invalid",
        }
    }
}

/// The version order of `RMS_CONFIG.version` (`v3` < `v4` < `v10`): by the digits in it, then by
/// text. A change takes effect only when this goes up.
pub fn version_raised(old: &str, new: &str) -> bool {
    fn digits(s: &str) -> Option<u64> {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        d.parse().ok()
    }
    match (digits(old), digits(new)) {
        (Some(a), Some(b)) if a != b => b > a,
        _ => new > old,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_versions_compare_by_number() {
        assert!(version_raised("v3", "v4"));
        assert!(version_raised("v9", "v10"));
        assert!(!version_raised("v3", "v3"));
        assert!(!version_raised("v4", "v3"));
    }
}
