//! `nightwatch migrate`: apply pending migrations, print what was done.

use crate::cli::Output;
use crate::settings::Settings;

use super::Failure;

pub async fn run(settings: Settings, output: Output) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    if settings.console.read_only {
        return Err(Failure::Other(
            "migrate writes the schema; it cannot run with --read-only".into(),
        ));
    }
    let store = super::connect(&settings).await?;
    let report = store.migrate().await?;
    store.close().await;
    match output {
        Output::Json => {
            let v = serde_json::json!({
                "database": store.url(),
                "backend": store.dialect().name(),
                "before": report.before,
                "after": report.after,
                "applied": report.applied.iter().map(|(v, d)| serde_json::json!({"version": v, "description": d})).collect::<Vec<_>>(),
            });
            crate::outln!("{v:#}");
        }
        Output::Table => {
            crate::outln!("database: {} ({})", store.url(), store.dialect().name());
            for (v, d) in &report.applied {
                crate::outln!("applied:  {v:04} {d}");
            }
            match report.applied.is_empty() {
                true => crate::outln!("schema:   version {} (already up to date)", report.after),
                false => crate::outln!("schema:   version {}", report.after),
            }
        }
    }
    Ok(())
}
