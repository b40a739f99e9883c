-- Safe execution (issue 10): the process group a running plan step started, with the boot it
-- belongs to and its leader's start time (clock ticks since boot), so an engine can find and kill
-- the survivors of an interrupted run and `plan resume` can refuse while they may still run; and
-- the SSH client address of whoever acted, in the audit log.
ALTER TABLE plan_run_steps ADD COLUMN pgid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE plan_run_steps ADD COLUMN boot_id VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE plan_run_steps ADD COLUMN proc_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN client VARCHAR(128) NOT NULL DEFAULT '';
