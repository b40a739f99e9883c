-- System configuration: the current version of each key, and every version ever saved.
-- Secret fields are stored encrypted ("enc:v1:..." strings inside the JSON text).
CREATE TABLE system_config (
    config_key VARCHAR(128) PRIMARY KEY,
    value TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by VARCHAR(255) NOT NULL,
    updated_at BIGINT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE system_config_history (
    id BIGSERIAL PRIMARY KEY,
    config_key VARCHAR(128) NOT NULL,
    version BIGINT NOT NULL,
    value TEXT NOT NULL,
    updated_by VARCHAR(255) NOT NULL,
    updated_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    action VARCHAR(16) NOT NULL,
    UNIQUE (config_key, version)
);

-- What each engine applied: {"KEY": version, ...} as JSON text, written with its heartbeat.
ALTER TABLE nw_component ADD COLUMN applied TEXT;
