-- Risk events: the hub. One row per identity (fingerprint); repeats raise count and last_seen.
CREATE TABLE risk_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint VARCHAR(128) NOT NULL UNIQUE,
    source VARCHAR(32) NOT NULL,
    ds_type VARCHAR(64) NOT NULL,
    level VARCHAR(2) NOT NULL,
    title VARCHAR(512) NOT NULL,
    summary TEXT NOT NULL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    component VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    firing BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    count BIGINT NOT NULL,
    flips BIGINT NOT NULL,
    flip_window_start BIGINT NOT NULL,
    flapping BIGINT NOT NULL,
    assignee VARCHAR(255) NOT NULL,
    original_level VARCHAR(2) NOT NULL,
    source_url TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX risk_events_status_level ON risk_events (status, level);
CREATE INDEX risk_events_updated ON risk_events (updated_at);
CREATE INDEX risk_events_last_seen ON risk_events (last_seen);

-- The timeline of each event: received, repeated, acked, commented, regraded, resolved, ...
CREATE TABLE event_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind VARCHAR(32) NOT NULL,
    actor VARCHAR(255) NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX event_log_event ON event_log (event_id, id);

-- Notifications to deliver, with retries: a durable queue drained by the engine.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel VARCHAR(128) NOT NULL,
    event_id BIGINT NOT NULL,
    payload TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    next_try BIGINT NOT NULL,
    claimed_by VARCHAR(255) NOT NULL,
    lease_until BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_try);
