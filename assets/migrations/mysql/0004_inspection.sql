-- Daily inspection: rules and tasks (content as code), runs, per rule x target results, and the
-- window/threshold state of each rule x target.
CREATE TABLE rules (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tasks (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    builtin BIGINT NOT NULL,
    next_run BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE inspection_runs (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    task VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    trigger_kind VARCHAR(16) NOT NULL,
    requested_by VARCHAR(255) NOT NULL,
    claimed_by VARCHAR(255) NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX inspection_runs_task ON inspection_runs (task, id);
CREATE INDEX inspection_runs_status ON inspection_runs (status);

CREATE TABLE inspection_results (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    run_id BIGINT NOT NULL,
    rule VARCHAR(255) NOT NULL,
    target VARCHAR(255) NOT NULL,
    verdict VARCHAR(8) NOT NULL,
    value_json TEXT NOT NULL,
    message TEXT NOT NULL,
    output TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX inspection_results_run ON inspection_results (run_id);

CREATE TABLE inspection_tracks (
    rule VARCHAR(255) NOT NULL,
    target VARCHAR(255) NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (rule, target)
);
