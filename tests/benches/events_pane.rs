//! The Events pane with 100,000 events stored in SQLite, in release mode.
//!
//! Prints:
//! (a) time to render one frame of the Events pane into a 160×48 `TestBackend` buffer (median,
//!     p99 over FRAMES frames, the selection moving between frames);
//! (b) time from a filter change to the new frame: `update` (parse the filter) + the store query
//!     the effect asks for (`list_events` page + `count_events`) + `update` with the answer + render
//!     (median, p99 over CHANGES changes cycling through varied filters), with the query's share;
//! and, for context, a jump to the last page (a deep OFFSET) and one Overview statistics read.
//!
//! Run: `cargo bench --bench events_pane`. Env: EVENTS (default 100000), FRAMES (200),
//! CHANGES (50).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nightwatch::console::{Action, App, Effect, read_page, resources};
use nightwatch::domain::event::{EventQuery, Incoming, Level};
use nightwatch::domain::time::now_ms;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, IngestItem, Store};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const TITLES: [&str; 6] = [
    "Disk usage above 90% on /data",
    "Replication lag over 30 s",
    "Connection pool exhausted",
    "Backup job failed",
    "CPU steal above 20%",
    "Slow queries over threshold",
];

fn incoming(i: usize, now: i64) -> IngestItem {
    let host = format!("db-{}", i % 50);
    let ds = ["STACK#rds", "STACK#ecs", "STACK#redis", "STACK#oss"][i % 4];
    let source = ["alertmanager", "api", "rms"][i % 3];
    let labels = BTreeMap::from([
        ("alertname".to_owned(), format!("Alert{}", i % 6)),
        ("instance".to_owned(), host.clone()),
        ("seq".to_owned(), i.to_string()),
    ]);
    IngestItem {
        incoming: Incoming {
            fingerprint: format!("bench-{i:08}"),
            source: source.into(),
            ds_type: ds.into(),
            level: Level::ALL[i % 4],
            title: format!("{} ({host})", TITLES[i % 6]),
            summary: format!("bench event {i}"),
            labels,
            annotations: BTreeMap::from([("runbook".to_owned(), "https://wiki/rb".to_owned())]),
            component: host,
            firing: true,
            // Spread over the last 48 hours so the sparkline has data.
            starts_at: now - i64::try_from(i % 2880).unwrap_or(0) * 60_000,
            source_url: "http://prometheus.local/graph".into(),
        },
        // One in ten is filtered out by the dashboard rules: stored as suppressed.
        keep: !i.is_multiple_of(10),
    }
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<44} median {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms   (n={})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3,
        v.len()
    );
}

/// Answer the page request among `effects` from the store, as the console's runtime does.
async fn answer(store: &Store, app: &mut App, effects: Vec<Effect>) -> Duration {
    let mut spent = Duration::ZERO;
    for e in effects {
        if let Effect::LoadEvents {
            request,
            filter_gen,
            query,
            from_end,
            ..
        } = e
        {
            // What the console's runtime does with the effect.
            let t = Instant::now();
            let page = read_page(store, &query, from_end).await.expect("page");
            spent += t.elapsed();
            app.update(Action::EventsLoaded {
                request,
                filter_gen,
                result: Ok(page),
            });
        }
    }
    spent
}

fn render(app: &App, area: Rect) -> Buffer {
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

#[tokio::main]
async fn main() {
    let n = env("EVENTS", 100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.paths.data_dir = dir.path().join("data");
    settings.paths.config_dir = dir.path().join("config");
    settings.database.url = format!("sqlite://{}/events.db?mode=rwc", dir.path().display());
    let store = Store::connect(&settings.database_url(), &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    // DROP_0005=1 measures without the indexes of migration 0005 (the before/after comparison).
    if std::env::var("DROP_0005").is_ok_and(|v| v == "1") {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&settings.database_url())
            .await
            .expect("raw");
        for idx in [
            "risk_events_ds_type",
            "risk_events_count",
            "risk_events_status_last_seen",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {idx}")))
                .execute(&mut conn)
                .await
                .expect("drop");
        }
        println!("(migration 0005 indexes dropped)");
    }

    let now = now_ms();
    let t = Instant::now();
    for start in (0..n).step_by(1000) {
        let items: Vec<IngestItem> = (start..(start + 1000).min(n))
            .map(|i| incoming(i, now))
            .collect();
        store.ingest_batch(&items, &[], now).await.expect("ingest");
    }
    let all = store
        .count_events(&EventQuery::parse("status:open,suppressed", "").expect("q"))
        .await
        .expect("count");
    println!(
        "stored {all} events in {:.1} s (ingest_batch, 1,000 per batch)",
        t.elapsed().as_secs_f64()
    );

    let config = resources::load(&settings, "bench@host".into(), |k| {
        (k == "LANG").then(|| "C.UTF-8".to_owned())
    });
    let mut app = App::new(config, store.db_info(), now);
    let area = Rect::new(0, 0, 160, 48);
    app.update(Action::Resize(area.width, area.height));
    let effects = app.update(Action::Events);
    answer(&store, &mut app, effects).await;
    let frame = render(&app, area);
    if std::env::var("SHOW").is_ok() {
        for y in 0..area.height {
            let line: String = (0..area.width).map(|x| frame[(x, y)].symbol()).collect();
            println!("{line}");
        }
    }
    println!(
        "Events pane: {} events match, {} rows loaded (page + margins)",
        app.events.total,
        app.events.rows.len()
    );

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
        answer(&store, &mut app, effects).await;
        let t = Instant::now();
        let buf = render(&app, area);
        times.push(t.elapsed());
        std::hint::black_box(buf);
    }
    stats("(a) render one frame, 160x48", times);

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
        "sort:title",
        "ds:STACK#redis level:P2",
        "",
    ];
    let changes = env("CHANGES", 50);
    let (mut total, mut query) = (Vec::new(), Vec::new());
    let mut per_filter: BTreeMap<&str, Duration> = BTreeMap::new();
    for i in 0..changes {
        let t = Instant::now();
        let effects = app.update(Action::ApplyFilter(filters[i % filters.len()].into()));
        let q = answer(&store, &mut app, effects).await;
        let buf = render(&app, area);
        total.push(t.elapsed());
        query.push(q);
        let slot = per_filter.entry(filters[i % filters.len()]).or_default();
        *slot = (*slot).max(t.elapsed());
        std::hint::black_box(buf);
    }
    stats("(b) filter change -> new frame", total);
    stats("    of which the store query (page + count)", query);
    for (f, d) in &per_filter {
        println!("      slowest {:>8.3} ms  /{f}", d.as_secs_f64() * 1e3);
    }

    // Context: the deepest page, and the Overview statistics.
    app.update(Action::ApplyFilter(String::new()));
    let effects = app.update(Action::ApplyFilter(String::new()));
    answer(&store, &mut app, effects).await;
    let mut deep = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let effects = app.update(Action::Bottom);
        answer(&store, &mut app, effects).await;
        std::hint::black_box(render(&app, area));
        deep.push(t.elapsed());
        let effects = app.update(Action::Top);
        answer(&store, &mut app, effects).await;
    }
    stats("jump to the last page (G) -> new frame", deep);
    // Reading the last page from the end gives the same rows as the deep OFFSET.
    let q = app.events.page_query(app.events.offset, 60);
    let forward = read_page(&store, &q, false).await.expect("page");
    let backward = read_page(&store, &q, true).await.expect("page");
    assert_eq!(
        forward, backward,
        "reading from the end turns the same rows around"
    );
    let mut st = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        std::hint::black_box(store.event_stats(now_ms()).await.expect("stats"));
        st.push(t.elapsed());
    }
    stats("Overview event_stats (whole table)", st);
}
