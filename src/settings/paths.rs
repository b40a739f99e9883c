//! XDG paths: where the config file, the embedded database and the logs live.

use std::path::PathBuf;

/// Resolved directories. Defaults come from `directories` (XDG on Linux); each can be moved by the
/// usual `XDG_*_HOME` variables, which `directories` honours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Paths {
    /// `~/.config/nightwatch`: `config.toml`, user `keymap.toml`, `themes/`, `views/`.
    pub config_dir: PathBuf,
    /// `~/.local/share/nightwatch`: the embedded SQLite database, the secret key file.
    pub data_dir: PathBuf,
    /// `~/.local/state/nightwatch`: log files.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The platform's directories for nightwatch, or `./.nightwatch/*` when no home is known.
    pub fn discover() -> Paths {
        match directories::ProjectDirs::from("", "", "nightwatch") {
            Some(p) => Paths {
                config_dir: p.config_dir().to_path_buf(),
                data_dir: p.data_dir().to_path_buf(),
                state_dir: p
                    .state_dir()
                    .map(|s| s.to_path_buf())
                    .unwrap_or_else(|| p.data_dir().join("state")),
            },
            None => {
                let base = PathBuf::from(".nightwatch");
                Paths {
                    config_dir: base.join("config"),
                    data_dir: base.join("data"),
                    state_dir: base.join("state"),
                }
            }
        }
    }

    /// The default config file: `<config_dir>/config.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
}
