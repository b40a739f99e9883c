-- Risk self-healing: every decision a policy took after a diagnosis (ran, shadow, skipped and the
-- rule that blocked it), the plan run it started and how that ended (healed, escalated); and per
-- scenario the consecutive failures and whether the policy halted. The row '*' is the lock every
-- decision takes first, so rate limits hold across engines.
CREATE TABLE self_heals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL,
    diagnosis_id BIGINT NOT NULL,
    scenario VARCHAR(255) NOT NULL,
    conclusion VARCHAR(255) NOT NULL,
    fault_key VARCHAR(512) NOT NULL,
    plan VARCHAR(255) NOT NULL,
    params TEXT NOT NULL,
    decision VARCHAR(16) NOT NULL,
    rule TEXT NOT NULL,
    plan_run_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    verify_until BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX self_heals_key ON self_heals (fault_key, created_at);
CREATE INDEX self_heals_scenario ON self_heals (scenario, created_at);
CREATE INDEX self_heals_status ON self_heals (status);
CREATE INDEX self_heals_event ON self_heals (event_id, id);

CREATE TABLE self_heal_state (
    scenario VARCHAR(255) PRIMARY KEY,
    failures BIGINT NOT NULL,
    halted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO self_heal_state (scenario, failures, halted_at, updated_at) VALUES ('*', 0, 0, 0);
