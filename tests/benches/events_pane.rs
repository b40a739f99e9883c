//! The Events pane and the Overview statistics on stores of 10,000, 100,000 and 1,000,000 events
//! (SQLite, bulk-loaded by one statement per store), in release mode, side by side.
//!
//! Per store size it prints:
//! (a) one frame of the Events pane rendered into a 160×48 `TestBackend` buffer;
//! (b) a filter change to the new frame: `update` + the store reads the effects ask for (as the
//!     console's runtime performs them: stamp, page, capped count) + `update` + render, cycling
//!     through varied filters (slowest per filter listed); the exact count refined in the
//!     background is timed apart (it is not on the path to the frame);
//! (c) deep pages: `G` (the last page) then `PgUp` ×10 (keyset backwards from a loaded row), and
//!     `PgDn` ×10 from the top (keyset forwards);
//! (d) the Overview statistics: the first read (what the first frame waits for) and an idle poll
//!     (stamp unchanged: nothing else is read); an idle poll of the Events page likewise.
//!
//! Run: `cargo bench --bench events_pane`. Env: SIZES (default "10000,100000,1000000"),
//! FRAMES (200), CHANGES (48).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nightwatch::console::{Action, App, Effect, perform_event_effect, resources};
use nightwatch::domain::time::now_ms;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use sqlx::Connection as _;

#[path = "../common/bulk.rs"]
mod bulk;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (median, p99, max) in ms.
fn summary(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (ms(at(0.5)), ms(at(0.99)), ms(v[v.len() - 1]))
}

fn show(name: &str, v: Vec<Duration>) -> (f64, f64, f64) {
    let n = v.len();
    let s = summary(v);
    println!(
        "  {name:<46} median {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms   (n={n})",
        s.0, s.1, s.2
    );
    s
}

/// Perform the effects the way the runtime does (reads only), feeding every answer back, until
/// none is left. Returns the time spent in the store for the page reads, and the time of the
/// background exact counts apart.
async fn settle(store: &Store, app: &mut App, effects: Vec<Effect>) -> (Duration, Duration) {
    let (mut reads, mut counts) = (Duration::ZERO, Duration::ZERO);
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        let is_count = matches!(e, Effect::CountEvents { .. });
        if !matches!(
            e,
            Effect::LoadEvents { .. } | Effect::CountEvents { .. } | Effect::LoadEventStats { .. }
        ) {
            continue;
        }
        let t = Instant::now();
        let action = perform_event_effect(store, e).await;
        if is_count {
            counts += t.elapsed();
        } else {
            reads += t.elapsed();
        }
        queue.extend(app.update(action));
    }
    (reads, counts)
}

/// Like [`settle`], but the exact counts are left for later (they run in the background).
async fn to_frame(store: &Store, app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut later = Vec::new();
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        match e {
            Effect::CountEvents { .. } => later.push(e),
            Effect::LoadEvents { .. } | Effect::LoadEventStats { .. } => {
                let desc = format!("{e:?}");
                let t = Instant::now();
                let action = perform_event_effect(store, e).await;
                if std::env::var_os("TRACE").is_some() {
                    eprintln!(
                        "TRACE {:>9.3} ms  {}",
                        t.elapsed().as_secs_f64() * 1e3,
                        desc.chars().take(400).collect::<String>()
                    );
                }
                queue.extend(app.update(action));
            }
            _ => {}
        }
    }
    later
}

fn render(app: &App, area: Rect) -> Buffer {
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

#[derive(Default)]
struct Row {
    n: u64,
    load_s: f64,
    frame: f64,
    filter_med: f64,
    filter_max: f64,
    count_max: f64,
    deep_up: f64,
    deep_down: f64,
    bottom: f64,
    stats_first: f64,
    stats_idle: f64,
    page_idle: f64,
}

async fn measure(n: u64) -> Row {
    let mut row = Row {
        n,
        ..Row::default()
    };
    println!("\n== {n} events ==");
    let tmp = tempfile::tempdir().expect("temp dir");
    // KEEP=1 leaves the database behind (its path printed) for EXPLAIN by hand.
    let (_guard, root) = if std::env::var_os("KEEP").is_some() {
        let path = tmp.keep();
        println!("  database kept in {}", path.display());
        (None, path)
    } else {
        let path = tmp.path().to_owned();
        (Some(tmp), path)
    };
    let dir = root.as_path();
    let mut settings = Settings::default();
    settings.paths.data_dir = dir.join("data");
    settings.paths.config_dir = dir.join("config");
    settings.database.url = format!("sqlite://{}/events.db?mode=rwc", dir.display());
    let store = Store::connect(&settings.database_url(), &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let now = now_ms();
    let t = Instant::now();
    {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&settings.database_url())
            .await
            .expect("raw");
        let sql = bulk::bulk_events_sql("sqlite", n, now);
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("bulk load");
        // What the engine does every hour (and a minute after it starts).
        store
            .refresh_planner_stats()
            .await
            .expect("planner statistics");
        conn.close().await.expect("close");
    }
    store.recount_events().await.expect("recount");
    row.load_s = t.elapsed().as_secs_f64();
    println!(
        "  bulk-loaded in {:.1} s (one INSERT … SELECT, FTS5 index kept by its trigger)",
        row.load_s
    );

    let config = resources::load(&settings, "bench@host".into(), |k| {
        (k == "LANG").then(|| "C.UTF-8".to_owned())
    });
    // (d) The Overview's first statistics, then an idle poll of them.
    let mut app = App::new(config, store.db_info(), now);
    let area = Rect::new(0, 0, 160, 48);
    // What the resize asks for is performed too: an ignored answer would leave its request in
    // flight and the Events tab would not read its page when opened.
    let effects = app.update(Action::Resize(area.width, area.height));
    settle(&store, &mut app, effects).await;
    let mut first = Vec::new();
    for _ in 0..5 {
        app.events.stats = None;
        let t = Instant::now();
        std::hint::black_box(store.event_stats(now_ms()).await.expect("stats"));
        first.push(t.elapsed());
    }
    row.stats_first = show("Overview statistics, first read", first).0;
    let stats = store.event_stats(now).await.expect("stats");
    app.update(Action::EventStatsLoaded(Ok(stats)));
    let mut idle = Vec::new();
    for _ in 0..50 {
        let e = Effect::LoadEventStats {
            now,
            known: app.events.stats.as_ref().map(|s| (s.stamp, s.hour)),
        };
        let t = Instant::now();
        let a = perform_event_effect(&store, e).await;
        idle.push(t.elapsed());
        assert!(
            matches!(a, Action::EventStatsUnchanged),
            "idle: nothing re-read"
        );
    }
    row.stats_idle = show("Overview statistics, idle poll (stamp only)", idle).0;

    let effects = app.update(Action::Events);
    settle(&store, &mut app, effects).await;
    println!(
        "  Events pane: {} events match ({}), {} rows loaded",
        app.events.total,
        if app.events.exact { "exact" } else { "capped" },
        app.events.rows.len()
    );
    // Idle poll of the page: the tick's effects, performed.
    let mut idle = Vec::new();
    for i in 0..50 {
        let effects = app.update(Action::Tick(now + 1_000 * (i + 1)));
        let t = Instant::now();
        for e in effects {
            if let Effect::LoadEvents { .. } = e {
                let a = perform_event_effect(&store, e).await;
                assert!(
                    matches!(a, Action::EventsUnchanged { .. }),
                    "idle: nothing re-read"
                );
                app.update(a);
            }
        }
        idle.push(t.elapsed());
    }
    row.page_idle = show("Events page, idle poll (stamp only)", idle).0;

    // (a) Rendering one frame.
    let frames = env("FRAMES", 200);
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let step = if i % 40 < 20 {
            Action::Down
        } else {
            Action::Up
        };
        let effects = app.update(step);
        settle(&store, &mut app, effects).await;
        let t = Instant::now();
        std::hint::black_box(render(&app, area));
        times.push(t.elapsed());
    }
    row.frame = show("(a) render one frame, 160x48", times).0;

    // (b) Filter change to new frame.
    let filters = [
        "level:P0",
        "level:P1 status:open",
        "source:alertmanager",
        "ds:STACK#rds",
        "component:db-7",
        "disk",
        "level:P0,P1 sort:-count",
        "status:suppressed",
        "replication lag",
        "nomatchxyz",
        "sort:title",
        "ds:STACK#redis level:P2",
        "",
    ];
    let changes = env("CHANGES", 48);
    let (mut total, mut counts) = (Vec::new(), Vec::new());
    let mut per_filter: BTreeMap<&str, Duration> = BTreeMap::new();
    for i in 0..changes {
        let f = filters[i % filters.len()];
        let t = Instant::now();
        let effects = app.update(Action::ApplyFilter(f.into()));
        let later = to_frame(&store, &mut app, effects).await;
        std::hint::black_box(render(&app, area));
        let d = t.elapsed();
        total.push(d);
        let slot = per_filter.entry(f).or_default();
        *slot = (*slot).max(d);
        let (_, c) = settle(&store, &mut app, later).await;
        if c > Duration::ZERO {
            counts.push(c);
        }
    }
    let s = show("(b) filter change -> new frame", total);
    (row.filter_med, row.filter_max) = (s.0, s.2);
    for (f, d) in &per_filter {
        println!("      slowest {:>8.3} ms  /{f}", d.as_secs_f64() * 1e3);
    }
    if !counts.is_empty() {
        row.count_max = show("    exact count in the background (capped ones)", counts).2;
    }

    // (c) Deep pages.
    let effects = app.update(Action::ApplyFilter(String::new()));
    settle(&store, &mut app, effects).await;
    let mut bottom = Vec::new();
    let mut up = Vec::new();
    let mut down = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let effects = app.update(Action::Bottom);
        settle(&store, &mut app, effects).await;
        std::hint::black_box(render(&app, area));
        bottom.push(t.elapsed());
        for _ in 0..10 {
            let t = Instant::now();
            let effects = app.update(Action::PageUp);
            settle(&store, &mut app, effects).await;
            std::hint::black_box(render(&app, area));
            up.push(t.elapsed());
        }
        let effects = app.update(Action::Top);
        settle(&store, &mut app, effects).await;
        for _ in 0..10 {
            let t = Instant::now();
            let effects = app.update(Action::PageDown);
            settle(&store, &mut app, effects).await;
            std::hint::black_box(render(&app, area));
            down.push(t.elapsed());
        }
    }
    row.bottom = show("(c) G: the last page -> new frame", bottom).2;
    row.deep_up = show("    PgUp from the last page (keyset back)", up).2;
    row.deep_down = show("    PgDn from the top (keyset forward)", down).2;
    // The keyset pages hold the rows OFFSET would give.
    let q = app.events.page_query(app.events.offset, 40);
    let by_offset = store.list_events(&q).await.expect("page");
    let shown: Vec<i64> = app.events.rows.iter().take(40).map(|e| e.id).collect();
    assert_eq!(
        by_offset.iter().map(|e| e.id).collect::<Vec<_>>(),
        shown,
        "keyset = offset"
    );
    row
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u64> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut rows = Vec::new();
    for n in sizes {
        rows.push(measure(n).await);
    }
    println!("\nside by side (ms; max unless noted):");
    println!(
        "{:>9} {:>7} {:>10} {:>11} {:>11} {:>10} {:>8} {:>9} {:>9} {:>11} {:>10} {:>10}",
        "events",
        "load s",
        "frame med",
        "filter med",
        "filter max",
        "count bg",
        "G",
        "PgUp",
        "PgDn",
        "stats 1st",
        "stats idle",
        "page idle"
    );
    for r in rows {
        println!(
            "{:>9} {:>7.1} {:>10.3} {:>11.3} {:>11.3} {:>10.3} {:>8.3} {:>9.3} {:>9.3} {:>11.3} {:>10.3} {:>10.3}",
            r.n,
            r.load_s,
            r.frame,
            r.filter_med,
            r.filter_max,
            r.count_max,
            r.bottom,
            r.deep_up,
            r.deep_down,
            r.stats_first,
            r.stats_idle,
            r.page_idle
        );
    }
}
