-- A store of a million events (issue 13): change stamps, maintained counts, text and statistics
-- indexes, the archive that retention moves closed events to.

-- One row per watched table; bumped in the same transaction as every write to it, so a poller
-- reads one primary-key row to learn whether anything changed (never a scan, never a clock).
CREATE TABLE change_stamps (
    name VARCHAR(64) PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO change_stamps (name, version) VALUES ('risk_events', 1);

-- Events per (level, status), kept by every write in its own transaction: the Overview's counts
-- and any count filtered only by level and status are read here, exactly, in O(1).
CREATE TABLE risk_event_counts (
    level VARCHAR(2) NOT NULL,
    status VARCHAR(16) NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (level, status)
);
INSERT INTO risk_event_counts (level, status, n)
SELECT l.level, s.status,
       (SELECT COUNT(*) FROM risk_events e WHERE e.level = l.level AND e.status = s.status)
FROM (SELECT 'P0' AS level UNION ALL SELECT 'P1' UNION ALL SELECT 'P2' UNION ALL SELECT 'P3') l
CROSS JOIN (SELECT 'open' AS status UNION ALL SELECT 'acked' UNION ALL SELECT 'resolved'
            UNION ALL SELECT 'closed' UNION ALL SELECT 'suppressed') s;

-- Served by the counts above (status_level) and by change_stamps (updated): gone, so each write
-- maintains two indexes fewer.
DROP INDEX risk_events_status_level;
DROP INDEX risk_events_updated;

-- The Overview's per-hour statistics: `first_seen >= ? AND status <> 'suppressed'` (covering).
CREATE INDEX risk_events_first_seen ON risk_events (first_seen, status);

-- Free text: trigram GIN index on one lower-cased expression (substring LIKE, case insensitive).
-- pg_trgm is a trusted extension (a database owner may create it); without the privilege the
-- migration still succeeds and text filters scan, as before.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm not available: free-text event filters will scan';
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX risk_events_text ON risk_events
            USING gin ((lower(title || ' ' || component || ' ' || summary)) gin_trgm_ops);
    END IF;
END
$$;
-- Keyset pages of the default view: (last_seen, id) in one index (MySQL and SQLite indexes carry
-- the primary key already).
DROP INDEX risk_events_last_seen;
CREATE INDEX risk_events_last_seen ON risk_events (last_seen, id);

-- Closed events past the retention period, moved here by the master's scheduler (exportable with
-- `nightwatch events archived`). Same columns plus when it was archived.
CREATE TABLE risk_events_archive (
    id BIGINT PRIMARY KEY,
    fingerprint VARCHAR(128) NOT NULL,
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
    updated_at BIGINT NOT NULL,
    archived_at BIGINT NOT NULL
);
CREATE INDEX risk_events_archive_at ON risk_events_archive (archived_at);
