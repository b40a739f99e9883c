-- Fault diagnosis: decision trees (content as code, JSON definitions) and their runs, queued
-- through the database and claimed with a lease like plan runs. `dedup` makes queuing exactly
-- once: `auto:LOG_ID` for the event-log entry (received, reopened) that queued it by itself,
-- `manual:NONCE` for an operator's re-run. `source_log` is that entry (0 for manual runs): the
-- matcher resumes after the highest one. `trace` is the path (JSON): each node's target, values,
-- outcome; `conclusion` the leaf reached, `cause` its rendered text.
CREATE TABLE diagnosis_trees (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE diagnoses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL,
    tree VARCHAR(255) NOT NULL,
    scenario VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    dedup VARCHAR(255) NOT NULL,
    source_log BIGINT NOT NULL,
    requested_by VARCHAR(255) NOT NULL,
    claimed_by VARCHAR(255) NOT NULL,
    lease_until BIGINT NOT NULL,
    trace TEXT NOT NULL,
    conclusion VARCHAR(255) NOT NULL,
    cause TEXT NOT NULL,
    level VARCHAR(4) NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX diagnoses_dedup ON diagnoses (dedup);
CREATE INDEX diagnoses_event ON diagnoses (event_id, id);
CREATE INDEX diagnoses_status ON diagnoses (status);
CREATE INDEX diagnoses_source ON diagnoses (source_log);

-- How far the matcher (the master engine) has read the event log: it resumes here after a
-- restart or a failover; events logged before this schema existed are not diagnosed by themselves.
CREATE TABLE diagnosis_matcher (
    id BIGINT PRIMARY KEY,
    last_log BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO diagnosis_matcher (id, last_log, updated_at)
SELECT 1, COALESCE(MAX(id), 0), 0 FROM event_log;
