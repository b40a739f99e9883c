-- Foundation: monitored components, the audit log, the instance registry and the master lease.
CREATE TABLE components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL UNIQUE,
    product VARCHAR(255) NOT NULL DEFAULT '',
    app VARCHAR(255) NOT NULL DEFAULT '',
    kind VARCHAR(64) NOT NULL DEFAULT '',
    zone VARCHAR(255) NOT NULL DEFAULT '',
    cell VARCHAR(255) NOT NULL DEFAULT '',
    layer VARCHAR(16) NOT NULL,
    role VARCHAR(16) NOT NULL DEFAULT '',
    labels TEXT NOT NULL,
    endpoints TEXT NOT NULL,
    builtin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX components_updated ON components (updated_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor VARCHAR(255) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target VARCHAR(255) NOT NULL,
    danger VARCHAR(2) NOT NULL,
    reason TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE nw_component (
    id VARCHAR(255) PRIMARY KEY,
    hostname VARCHAR(255) NOT NULL,
    ip VARCHAR(64) NOT NULL,
    pid BIGINT NOT NULL,
    role VARCHAR(16) NOT NULL,
    version VARCHAR(32) NOT NULL,
    listen VARCHAR(128) NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE nw_master_vote (
    role VARCHAR(64) PRIMARY KEY,
    holder VARCHAR(255) NOT NULL,
    ip VARCHAR(64) NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    term BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
