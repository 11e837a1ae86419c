-- The best case of one lifecycle step on PostgreSQL: the statements of
-- step.sql, transaction and the answer's three reads, sent in one pipeline
-- (\startpipeline … \endpipeline: one round trip from BEGIN to the last
-- read, as if the server never waited for a result before sending the next
-- statement). A pipeline cannot use one statement's result in the next, so
-- what step.sql passes from a read to a write is taken by subquery or left
-- as the row has it: the task closed is the case's first open task (by
-- subquery on its id), the case row is written back column by column from
-- itself (the full SET list of casework's updateCase, same row written),
-- and the audit entry's link and previous hash come from the chain head
-- locked before. Needs -M prepared (or extended).
--
-- Variables (pgbench -D): ncases, actor, queue. See ceiling.sh.
\set n random(1, :ncases)
SELECT id AS cid, case_no AS cno, chain AS ch FROM bench_map WHERE n = :n \gset
\startpipeline
BEGIN;
SELECT id, case_no, item_id, item_code, item_version, item_name, department_id, region_code, item_type, workflow_id, workflow_rev,
	status, result, result_code, channel, applicant_kind, applicant_person_id, applicant_company_id, applicant_name, applicant_id_masked, agent_person_id, agent_name,
	created_by, situation, form_enc, query_password_enc, promised_amount, promised_unit, legal_amount, legal_unit,
	submitted_at, accepted_at, decided_at, finished_at, promised_due_at, legal_due_at, due_provisional, revision, listed_at, created_at, updated_at,
	mode, delivery_method, delivery_enc, delivery_masked, paused_at, pause_kind, resume_status, supplement_due_at, deferred_open, extended_days, revoked_at, revoke_reason, extras FROM cases WHERE case_no = :cno FOR UPDATE;
SELECT id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action FROM case_tasks WHERE case_id = :cid AND status = 'open' ORDER BY created_at, id;
UPDATE case_tasks SET status = 'done', done_at = now(), done_by = :actor, action = 'accept'
	WHERE id = (SELECT id FROM case_tasks WHERE case_id = :cid AND status = 'open' ORDER BY created_at, id LIMIT 1) AND status = 'open';
INSERT INTO case_tasks (id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action) VALUES (gen_random_uuid()::text, :cid, 'review', '审查', :queue, ',approver,', '', 'open', now(), now() + interval '5 days', NULL, '', '');
UPDATE cases SET case_no = case_no, item_version = item_version, item_name = item_name, item_type = item_type, workflow_id = workflow_id, workflow_rev = workflow_rev,
	status = CASE status WHEN 'accepted' THEN 'processing' ELSE 'accepted' END, result = result, result_code = result_code,
	situation = situation, form_enc = form_enc, query_password_enc = query_password_enc, promised_amount = promised_amount, promised_unit = promised_unit, legal_amount = legal_amount, legal_unit = legal_unit,
	submitted_at = submitted_at, accepted_at = now(), decided_at = decided_at, finished_at = finished_at, promised_due_at = promised_due_at, legal_due_at = legal_due_at, due_provisional = due_provisional,
	revision = revision + 1, listed_at = listed_at, updated_at = now(), mode = mode, delivery_method = delivery_method, delivery_enc = delivery_enc, delivery_masked = delivery_masked,
	paused_at = paused_at, pause_kind = pause_kind, resume_status = resume_status,
	supplement_due_at = supplement_due_at, deferred_open = deferred_open, extended_days = extended_days, revoked_at = revoked_at, revoke_reason = revoke_reason, extras = extras WHERE id = :cid;
INSERT INTO case_events (id, case_id, at, actor_id, actor_name, actor_org, step_id, step_name, action, action_name, from_status, to_status, comment)
	VALUES (gen_random_uuid()::text, :cid, now(), :actor, '张丽', '桐庐县数据资源管理局·综合窗口', 'accept', '受理', 'accept', '受理', 'submitted', 'accepted', '');
INSERT INTO outbox (id, topic, object_id, payload, created_at) VALUES (gen_random_uuid()::text, 'case.accepted', :cid, '{"action":"accept","caseNo":"3301222026120200041","delivery":"window","result":"","resultCode":"","status":"accepted","step":"accept"}', now());
SELECT link, hash FROM audit_chains WHERE chain = :ch FOR UPDATE;
INSERT INTO audit_log
	(chain, link, id, at, actor_id, actor_name, action, object_type, object_id, before_ref, after_ref, detail, ip, request_id, prev_hash, hash)
	VALUES (:ch, (SELECT link + 1 FROM audit_chains WHERE chain = :ch), gen_random_uuid()::text, now(), :actor, '张丽', 'case.accept', 'case', :cid, 'submitted', 'accepted',
	'{"action":"accept","caseNo":"3301222026120200041","step":"accept"}', '127.0.0.1', '4b234388ef57b74b', (SELECT hash FROM audit_chains WHERE chain = :ch), '0b130f28664b07f8d51981ee67461380cb68d4fc4b0d2ffb233e8de1efc4d61d');
UPDATE audit_chains SET link = link + 1, hash = '0b130f28664b07f8d51981ee67461380cb68d4fc4b0d2ffb233e8de1efc4d61d' WHERE chain = :ch;
COMMIT;
SELECT at, actor_name, actor_org, step_id, step_name, action, action_name, from_status, to_status, comment
	FROM case_events WHERE case_id = :cid ORDER BY at, id;
SELECT material_id, file_id FROM case_materials WHERE case_id = :cid ORDER BY material_id, added_at, file_id;
SELECT id, owner_account_id, name, content_type, size, sha256, storage_key, created_at FROM files WHERE id IN (SELECT file_id FROM case_materials WHERE case_id = :cid);
\endpipeline
