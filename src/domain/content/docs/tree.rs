//! The TOML shape of `[[tree]]` (diagnosis decision trees). Unknown fields are refused; names keep
//! their span so an error names the line. `domain::content::validate` turns them into
//! `domain::diagnosis::Tree`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::domain::event::Level;

/// `[[tree]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeDoc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The first node's id.
    pub root: Spanned<String>,
    /// The whole walk's bound (`30s`, default 60s).
    #[serde(default)]
    pub max_time: Option<Spanned<String>>,
    #[serde(default)]
    pub node: Vec<TreeNodeDoc>,
    #[serde(default)]
    pub conclusion: Vec<ConclusionDoc>,
}

/// `[[tree.node]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeNodeDoc {
    pub id: Spanned<String>,
    #[serde(default)]
    pub title: String,
    /// A probe spec (`{ kind = "redis" }`), or none with `of`.
    #[serde(default)]
    pub probe: Option<Spanned<toml::Table>>,
    /// `event` (default), `peer`, or `component:NAME`.
    #[serde(default)]
    pub on: Option<Spanned<String>>,
    /// An earlier node whose values the condition reads.
    #[serde(default)]
    pub of: Option<String>,
    pub condition: Spanned<String>,
    /// This node's bound (`5s`, default 5s).
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    pub pass: String,
    pub fail: String,
    #[serde(default)]
    pub unreach: Option<String>,
}

/// `[[tree.conclusion]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConclusionDoc {
    pub id: Spanned<String>,
    pub cause: String,
    pub level: Level,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}
