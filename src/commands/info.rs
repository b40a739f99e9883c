//! `nightwatch info`: version, resolved paths, database (password masked), schema version,
//! registered instances. Prints what it knows even when the database is unreachable.

use serde::Serialize;

use crate::cli::Output;
use crate::settings::{EngineMode, Settings};

use super::Failure;

#[derive(Debug, Serialize)]
struct Info {
    version: &'static str,
    config_file: String,
    config_file_present: bool,
    config_dir: String,
    data_dir: String,
    state_dir: String,
    log_file: String,
    database_url: String,
    backend: String,
    read_only: bool,
    engine_mode: String,
    engine_listen: String,
    schema_version: Option<i64>,
    schema_latest: Option<i64>,
    instances: Option<usize>,
    master: Option<String>,
    database_error: Option<String>,
}

pub async fn run(settings: Settings, output: Output) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let config_file = settings
        .source
        .clone()
        .unwrap_or_else(|| settings.paths.config_file());
    let mut info = Info {
        version: env!("CARGO_PKG_VERSION"),
        config_file_present: config_file.exists(),
        config_file: config_file.display().to_string(),
        config_dir: settings.paths.config_dir.display().to_string(),
        data_dir: settings.paths.data_dir.display().to_string(),
        state_dir: settings.paths.state_dir.display().to_string(),
        log_file: crate::logging::file(&settings.paths.state_dir)
            .display()
            .to_string(),
        database_url: crate::store::mask_url(&settings.database_url()),
        backend: crate::store::Dialect::from_url(&settings.database_url())
            .map_or("unknown", |d| d.name())
            .to_owned(),
        read_only: settings.console.read_only,
        engine_mode: match settings.engine.mode {
            EngineMode::Auto if settings.is_embedded_sqlite() => {
                "auto (in-process: embedded SQLite)"
            }
            EngineMode::Auto => "auto (off here: shared database, run `nightwatch serve`)",
            EngineMode::On => "on",
            EngineMode::Off => "off",
        }
        .to_owned(),
        engine_listen: settings.engine.listen.to_string(),
        schema_version: None,
        schema_latest: None,
        instances: None,
        master: None,
        database_error: None,
    };
    let failure = match super::connect(&settings).await {
        Ok(store) => {
            let result = describe(&store, &mut info).await;
            store.close().await;
            result.err()
        }
        Err(e) => Some(Failure::from(e)),
    };
    info.database_error = failure.as_ref().map(ToString::to_string);
    match output {
        Output::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&info).unwrap_or_default()
        ),
        Output::Table => print_table(&info),
    }
    failure.map_or(Ok(()), Err)
}

/// Fill the database part of `info`. A database never migrated has no tables yet: that is reported
/// as "no schema", not as an error.
async fn describe(store: &crate::store::Store, info: &mut Info) -> Result<(), Failure> {
    info.schema_latest = Some(store.db_info().schema_latest);
    info.schema_version = store.schema_version().await?;
    if info.schema_version.is_some() {
        let o = store.overview().await?;
        info.instances = Some(o.instances.len());
        info.master = o
            .master
            .filter(|m| !m.holder.is_empty())
            .map(|m| format!("{} ({}, term {})", m.hostname, m.ip, m.term));
    }
    Ok(())
}

fn print_table(i: &Info) {
    let present = if i.config_file_present {
        ""
    } else {
        " (not present: built-in defaults)"
    };
    crate::outln!("nightwatch {}", i.version);
    crate::outln!("config file:  {}{present}", i.config_file);
    crate::outln!("config dir:   {}", i.config_dir);
    crate::outln!("data dir:     {}", i.data_dir);
    crate::outln!("state dir:    {}", i.state_dir);
    crate::outln!("log file:     {}", i.log_file);
    crate::outln!(
        "database:     {} ({}){}",
        i.database_url,
        i.backend,
        if i.read_only { " read-only" } else { "" }
    );
    let schema = match (i.schema_version, i.schema_latest) {
        (Some(v), Some(l)) if v == l => format!("version {v} (up to date)"),
        (Some(v), Some(l)) => format!("version {v}, this binary has {l}: run `nightwatch migrate`"),
        (None, Some(l)) => format!("none (this binary has {l}): run `nightwatch migrate`"),
        _ => "unknown".to_owned(),
    };
    crate::outln!("schema:       {schema}");
    crate::outln!("engine:       {} on {}", i.engine_mode, i.engine_listen);
    if let Some(n) = i.instances {
        crate::outln!(
            "instances:    {n} registered; master: {}",
            i.master.as_deref().unwrap_or("none")
        );
    }
}
