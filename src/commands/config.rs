//! `nightwatch config …`: the system configuration from the command line.

use std::io::Read as _;

use serde_json::Value;

use crate::cli::{ConfigCommand, Output};
use crate::domain::sysconfig::{Group, KeyState};
use crate::domain::time::format_utc;
use crate::settings::Settings;
use crate::sysconfig::{ConfigView, HistoryEntry, Input, SetRequest, SysConfig};

use super::{Failure, actor};

pub async fn run(settings: Settings, cmd: ConfigCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let cfg = SysConfig::from_settings(store.clone(), &settings);
    cfg.seed_generated().await?;
    let result = dispatch(&cfg, cmd).await;
    store.close().await;
    result
}

fn reason(r: Option<String>, key: &str) -> Result<String, Failure> {
    r.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        Failure::Other(format!(
            "changing {key} is a G2 operation: give --reason \"…\" (it goes into the audit log)"
        ))
    })
}

async fn dispatch(cfg: &SysConfig, cmd: ConfigCommand) -> Result<(), Failure> {
    match cmd {
        ConfigCommand::List { output, modified } => {
            let views: Vec<ConfigView> = cfg
                .list()
                .await?
                .into_iter()
                .filter(|v| !modified || v.state != KeyState::Default)
                .collect();
            match output {
                Output::Json => print_json(&serde_json::to_value(&views).unwrap_or_default()),
                Output::Table => print_list(&views),
            }
        }
        ConfigCommand::Get {
            key,
            output,
            reveal,
        } => {
            let view = cfg.get(&key).await?;
            let value = if reveal {
                cfg.reveal(&key, &actor()).await?
            } else {
                view.value.clone()
            };
            match output {
                Output::Json => {
                    let mut v = serde_json::to_value(&view).unwrap_or_default();
                    v["value"] = value;
                    print_json(&v);
                }
                Output::Table => print_one(&view, &value),
            }
        }
        ConfigCommand::Set {
            key,
            value,
            reason: r,
            base_version,
            new,
            secret_path,
        } => {
            let reason = reason(r, &key)?;
            let text = read_value(&value)?;
            let input = if secret_path.is_empty() {
                Input::Text(text)
            } else {
                Input::Value(declare_secrets(&key, &text, &secret_path)?)
            };
            let req = SetRequest {
                key: key.clone(),
                input,
                base_version,
                actor: actor(),
                reason,
                allow_new: new,
            };
            let view = cfg.set(req).await?;
            report_saved(&view);
        }
        ConfigCommand::Edit { key, reason: r } => edit(cfg, &key, r).await?,
        ConfigCommand::History { key, output } => {
            let h = cfg.history(&key).await?;
            match output {
                Output::Json => print_json(&serde_json::to_value(&h).unwrap_or_default()),
                Output::Table => print_history(&key, &h),
            }
        }
        ConfigCommand::Rollback {
            key,
            version,
            reason: r,
            base_version,
        } => {
            let reason = reason(r, &key)?;
            let view = cfg
                .rollback(&key, version, base_version, &actor(), &reason)
                .await?;
            report_saved(&view);
        }
        ConfigCommand::Export { file } => {
            let doc = serde_json::to_string_pretty(&cfg.export().await?).unwrap_or_default() + "\n";
            match file {
                Some(path) => {
                    std::fs::write(&path, doc).map_err(|e| {
                        Failure::Other(format!("cannot write {}: {e}", path.display()))
                    })?;
                    eprintln!("exported to {} (secrets masked)", path.display());
                }
                None => crate::out!("{doc}"),
            }
        }
        ConfigCommand::Import {
            file,
            reason: r,
            dry_run,
        } => {
            let reason = if dry_run {
                r.unwrap_or_default()
            } else {
                reason(r, "the imported keys")?
            };
            let text = read_value(&if file == "-" {
                file.clone()
            } else {
                format!("@{file}")
            })?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| {
                Failure::Other(format!(
                    "{file}: not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ))
            })?;
            let report = cfg.import(&doc, &actor(), &reason, dry_run).await?;
            let verb = if dry_run { "would change" } else { "changed" };
            crate::outln!(
                "{verb}: {}",
                if report.changed.is_empty() {
                    "nothing".into()
                } else {
                    report.changed.join(", ")
                }
            );
            crate::outln!("unchanged: {}", report.unchanged.len());
        }
    }
    Ok(())
}

/// `text` (a JSON object) with `paths` added to its `"$secrets"` declaration.
fn declare_secrets(key: &str, text: &str, paths: &[String]) -> Result<Value, Failure> {
    use crate::domain::sysconfig::{DECLARED, declared_pointers, lookup};
    if lookup(key).is_some() {
        return Err(Failure::Other(format!(
            "{key} is a documented key: its secret fields are fixed (--secret-path is for keys of \
             your own)"
        )));
    }
    let mut v: Value = serde_json::from_str(text).map_err(|e| {
        Failure::Other(format!(
            "{key}: --secret-path needs a JSON object value ({e}); store a scalar as \
             {{\"value\": …}} with --secret-path /value"
        ))
    })?;
    let Some(obj) = v.as_object_mut() else {
        return Err(Failure::Other(format!(
            "{key}: --secret-path needs a JSON object value; store a scalar as {{\"value\": …}} \
             with --secret-path /value"
        )));
    };
    let declared = obj
        .entry(DECLARED)
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(list) = declared.as_array_mut() else {
        return Err(Failure::Other(format!(
            "{key}: {DECLARED} must be an array of JSON pointers"
        )));
    };
    for p in paths {
        if !list.iter().any(|x| x.as_str() == Some(p)) {
            list.push(Value::String(p.clone()));
        }
    }
    declared_pointers(&v).map_err(|m| Failure::Other(format!("{key}: --secret-path: {m}")))?;
    Ok(v)
}

/// A value argument: literal text, `@FILE`, or `-` for stdin.
fn read_value(arg: &str) -> Result<String, Failure> {
    let limit = crate::domain::sysconfig::MAX_VALUE_BYTES as u64 + 1;
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(limit)
            .read_to_string(&mut s)
            .map_err(|e| Failure::Other(format!("cannot read stdin: {e}")))?;
        return Ok(s);
    }
    match arg.strip_prefix('@') {
        Some(path) => {
            let f = std::fs::File::open(path)
                .map_err(|e| Failure::Other(format!("cannot read {path}: {e}")))?;
            let mut s = String::new();
            f.take(limit)
                .read_to_string(&mut s)
                .map_err(|e| Failure::Other(format!("cannot read {path}: {e}")))?;
            Ok(s)
        }
        None => Ok(arg.to_owned()),
    }
}

async fn edit(cfg: &SysConfig, key: &str, r: Option<String>) -> Result<(), Failure> {
    let reason = reason(r, key)?;
    let view = cfg.get(key).await?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let text = serde_json::to_string_pretty(&view.value).unwrap_or_default() + "\n";
    // A private file: random name, created with O_EXCL (a planted file or symlink is never
    // followed or reused), mode 0600, removed when dropped unless kept for the operator.
    let tmp = private_temp(key, &text)?;
    let path = tmp.path().to_owned();
    // The operator's own editor, run as the operator: it keeps their environment (unlike plan
    // steps and probes, which nightwatch runs on a clean one). The path is an argument, not code.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .map_err(|e| Failure::Other(format!("cannot run $EDITOR ({editor}): {e}")))?;
    if !status.success() {
        let kept = keep(tmp);
        return Err(Failure::Other(format!(
            "{editor} failed ({status}); nothing saved; your text is in {kept}"
        )));
    }
    let edited = std::fs::read_to_string(&path).map_err(|e| Failure::Other(e.to_string()))?;
    if edited == text {
        crate::outln!("{key}: unchanged, nothing saved");
        return Ok(());
    }
    let req = SetRequest {
        key: key.to_owned(),
        input: Input::Text(edited),
        base_version: Some(view.version),
        actor: actor(),
        reason,
        allow_new: false,
    };
    match cfg.set(req).await {
        Ok(v) => {
            report_saved(&v);
            Ok(())
        }
        Err(e) => Err(Failure::Other(format!(
            "{e}\nnothing saved; your edit is kept in {}",
            keep(tmp)
        ))),
    }
}

/// `text` in a new private temp file (`$TMPDIR/nightwatch-KEY-XXXXXX.json`, 0600, O_EXCL).
fn private_temp(key: &str, text: &str) -> Result<tempfile::NamedTempFile, Failure> {
    use std::io::Write as _;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("nightwatch-{key}-"))
        .suffix(".json")
        .tempfile()
        .map_err(|e| Failure::Other(format!("cannot create a private temp file: {e}")))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(|e| Failure::Other(format!("cannot write {}: {e}", tmp.path().display())))?;
    Ok(tmp)
}

/// Keep the temp file for the operator; its path for the message.
fn keep(tmp: tempfile::NamedTempFile) -> String {
    match tmp.keep() {
        Ok((_, path)) => path.display().to_string(),
        Err(e) => format!("(lost: {e})"),
    }
}

fn report_saved(v: &ConfigView) {
    crate::outln!(
        "{}: saved version {} ({})",
        v.key,
        v.version,
        v.state.label()
    );
    if v.restart_required {
        crate::outln!("note: {} takes effect after the engine restarts", v.key);
    }
    if v.state == KeyState::NotApplied || v.version_gated {
        crate::outln!(
            "note: {} takes effect only when its \"version\" is raised (within 30 s)",
            v.key
        );
    }
}

fn print_json(v: &Value) {
    crate::outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn short(v: &Value, width: usize) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let s = s.replace('\n', " ");
    if s.chars().count() > width {
        format!("{}…", s.chars().take(width - 1).collect::<String>())
    } else {
        s
    }
}

fn print_list(views: &[ConfigView]) {
    crate::outln!(
        "{:<24} {:<7} {:<15} {:>4}  {}",
        "KEY",
        "GROUP",
        "STATE",
        "VER",
        "VALUE"
    );
    for v in views {
        let group = match v.group {
            Group::Config => "config",
            Group::Switch => "switch",
            Group::User => "user",
        };
        crate::outln!(
            "{:<24} {:<7} {:<15} {:>4}  {}",
            v.key,
            group,
            v.state.label(),
            v.version,
            short(&v.value, 60)
        );
    }
}

fn print_one(v: &ConfigView, value: &Value) {
    crate::outln!("{} ({})", v.key, v.state.label());
    if let KeyState::Invalid(why) = &v.state {
        crate::outln!("invalid: {why}");
    }
    if !v.description.is_empty() {
        crate::outln!("{}", v.description);
    }
    match v.version {
        0 => crate::outln!("version 0: never saved (documented default)"),
        n => crate::outln!(
            "version {n}, by {} at {} UTC: {}",
            v.updated_by,
            format_utc(v.updated_at),
            v.reason
        ),
    }
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn print_history(key: &str, h: &[HistoryEntry]) {
    if h.is_empty() {
        crate::outln!("{key}: never saved (documented default)");
    }
    for e in h {
        crate::outln!(
            "v{} {} UTC by {} [{}] {}",
            e.version,
            format_utc(e.updated_at),
            e.updated_by,
            e.action,
            e.reason
        );
        for l in e.diff.iter().filter(|l| l.tag != ' ') {
            crate::outln!("  {} {}", l.tag, l.text);
        }
    }
}
