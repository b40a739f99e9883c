-- Emergency plans: versioned definitions (content as code), scenarios (event matchers ->
-- recommended plans), runs queued through the database and claimed with a lease, and per-step
-- state, attempts, timings and output written as they happen.
CREATE TABLE plans (
    name VARCHAR(255) PRIMARY KEY,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    danger VARCHAR(4) NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE plan_versions (
    name VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE scenarios (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE plan_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    status VARCHAR(24) NOT NULL,
    params TEXT NOT NULL,
    dry_run BIGINT NOT NULL,
    danger VARCHAR(4) NOT NULL,
    requested_by VARCHAR(255) NOT NULL,
    reason TEXT NOT NULL,
    approval_required BIGINT NOT NULL,
    approved_by VARCHAR(255) NOT NULL,
    event_id BIGINT NOT NULL,
    claimed_by VARCHAR(255) NOT NULL,
    lease_until BIGINT NOT NULL,
    control VARCHAR(16) NOT NULL,
    resume_from VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX plan_runs_status ON plan_runs (status);
CREATE INDEX plan_runs_plan ON plan_runs (plan, id);
CREATE INDEX plan_runs_updated ON plan_runs (updated_at);

CREATE TABLE plan_run_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    phase VARCHAR(16) NOT NULL,
    step_id VARCHAR(255) NOT NULL,
    title VARCHAR(255) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    danger VARCHAR(4) NOT NULL,
    grp VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    rendered TEXT NOT NULL,
    message TEXT NOT NULL,
    values_json TEXT NOT NULL,
    output TEXT NOT NULL
);
CREATE UNIQUE INDEX plan_run_steps_seq ON plan_run_steps (run_id, seq);
