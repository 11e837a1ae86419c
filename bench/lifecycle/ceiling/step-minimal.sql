-- The floor of one lifecycle step on PostgreSQL: step.sql without the audit
-- trail (chain head lock, audit_log insert, head update) and without the
-- three reads of the answer. What is left is the transaction of
-- casework.Act proper: case row lock, open tasks, task closed by id, next
-- task, case row written back under its revision, timeline event, outbox
-- event. Same statements as step.sql otherwise (see there for how they
-- differ from the server's); run with -M prepared.
--
-- Variables (pgbench -D): ncases, actor, queue. See ceiling.sh.
\set n random(1, :ncases)
SELECT id AS cid, case_no AS cno, chain AS ch FROM bench_map WHERE n = :n \gset
BEGIN;
SELECT id, case_no, item_id, item_code, item_version, item_name, department_id, region_code, item_type, workflow_id, workflow_rev,
	status, result, result_code, channel, applicant_kind, applicant_person_id, applicant_company_id, applicant_name, applicant_id_masked, agent_person_id, agent_name,
	created_by, situation, form_enc, query_password_enc, promised_amount, promised_unit, legal_amount, legal_unit,
	submitted_at, accepted_at, decided_at, finished_at, promised_due_at, legal_due_at, due_provisional, revision, listed_at, created_at, updated_at,
	mode, delivery_method, delivery_enc, delivery_masked, paused_at, pause_kind, resume_status, supplement_due_at, deferred_open, extended_days, revoked_at, revoke_reason, extras FROM cases WHERE case_no = :cno FOR UPDATE \gset c_
SELECT id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action FROM case_tasks WHERE case_id = :cid AND status = 'open' ORDER BY created_at, id \gset t_
UPDATE case_tasks SET status = 'done', done_at = now(), done_by = :actor, action = 'accept' WHERE id = :t_id AND status = 'open';
INSERT INTO case_tasks (id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action) VALUES (gen_random_uuid()::text, :cid, 'review', '审查', :queue, ',approver,', '', 'open', now(), now() + interval '5 days', NULL, '', '');
-- pgbench sets a NULL column's variable to '': NULLIF turns it back.
\set rev :c_revision + 1
UPDATE cases SET case_no = :c_case_no, item_version = :c_item_version, item_name = :c_item_name, item_type = :c_item_type, workflow_id = :c_workflow_id, workflow_rev = :c_workflow_rev,
	status = CASE :c_status WHEN 'accepted' THEN 'processing' ELSE 'accepted' END, result = :c_result, result_code = :c_result_code,
	situation = :c_situation, form_enc = :c_form_enc, query_password_enc = :c_query_password_enc, promised_amount = :c_promised_amount, promised_unit = :c_promised_unit, legal_amount = :c_legal_amount, legal_unit = :c_legal_unit,
	submitted_at = NULLIF(:c_submitted_at, '')::timestamptz, accepted_at = now(), decided_at = NULLIF(:c_decided_at, '')::timestamptz, finished_at = NULLIF(:c_finished_at, '')::timestamptz,
	promised_due_at = NULLIF(:c_promised_due_at, '')::timestamptz, legal_due_at = NULLIF(:c_legal_due_at, '')::timestamptz, due_provisional = :c_due_provisional,
	revision = :rev, listed_at = :c_listed_at, updated_at = now(), mode = :c_mode, delivery_method = :c_delivery_method, delivery_enc = :c_delivery_enc, delivery_masked = :c_delivery_masked,
	paused_at = NULLIF(:c_paused_at, '')::timestamptz, pause_kind = :c_pause_kind, resume_status = :c_resume_status,
	supplement_due_at = NULLIF(:c_supplement_due_at, '')::timestamptz, deferred_open = :c_deferred_open, extended_days = :c_extended_days,
	revoked_at = NULLIF(:c_revoked_at, '')::timestamptz, revoke_reason = :c_revoke_reason, extras = :c_extras WHERE id = :cid AND revision = :c_revision;
INSERT INTO case_events (id, case_id, at, actor_id, actor_name, actor_org, step_id, step_name, action, action_name, from_status, to_status, comment)
	VALUES (gen_random_uuid()::text, :cid, now(), :actor, '张丽', '桐庐县数据资源管理局·综合窗口', 'accept', '受理', 'accept', '受理', :c_status, CASE :c_status WHEN 'accepted' THEN 'processing' ELSE 'accepted' END, '');
INSERT INTO outbox (id, topic, object_id, payload, created_at) VALUES (gen_random_uuid()::text, 'case.accepted', :cid, '{"action":"accept","caseNo":"3301222026120200041","delivery":"window","result":"","resultCode":"","status":"accepted","step":"accept"}', now());
COMMIT;
