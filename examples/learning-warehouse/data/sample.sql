-- A small hand-written dataset for the learning warehouse: dimension versions as the hourly
-- SCD Type 2 sync leaves them (one tenant and one learner changed once), the facts of
-- 2025-01-15 as the daily jobs build them (keys resolved to the version current at the time of
-- the event) and the job runs that built them. Every row satisfies the checks of the YAML.

INSERT INTO warehouse.dim_tenant (tenant_id, tenant_name, tenant_type, is_active, effective_from, effective_to, is_current) VALUES
    ('7a1e0000-0000-4000-8000-000000000001', 'Maple Elementary', 'SCHOOL', TRUE, '2024-09-01 00:00+00', '2025-01-10 00:00+00', FALSE),
    ('7a1e0000-0000-4000-8000-000000000001', 'Maple Elementary School', 'SCHOOL', TRUE, '2025-01-10 00:00+00', NULL, TRUE),
    ('7a1e0000-0000-4000-8000-000000000002', 'The Okafor family', 'CONSUMER', TRUE, '2024-11-20 00:00+00', NULL, TRUE);

INSERT INTO warehouse.dim_learner (learner_id, tenant_id, grade_level, primary_language, is_active, effective_from, effective_to, is_current) VALUES
    ('1ea40000-0000-4000-8000-000000000001', '7a1e0000-0000-4000-8000-000000000001', 2, 'en-US', TRUE, '2024-09-01 00:00+00', '2025-01-05 00:00+00', FALSE),
    ('1ea40000-0000-4000-8000-000000000001', '7a1e0000-0000-4000-8000-000000000001', 3, 'en-US', TRUE, '2025-01-05 00:00+00', NULL, TRUE),
    ('1ea40000-0000-4000-8000-000000000002', '7a1e0000-0000-4000-8000-000000000002', 5, 'yo-NG', TRUE, '2024-11-20 00:00+00', NULL, TRUE);

INSERT INTO warehouse.dim_user (user_id, tenant_id, role, is_active, effective_from, is_current) VALUES
    ('05e40000-0000-4000-8000-000000000001', '7a1e0000-0000-4000-8000-000000000001', 'TEACHER', TRUE, '2024-09-01 00:00+00', TRUE),
    ('05e40000-0000-4000-8000-000000000002', '7a1e0000-0000-4000-8000-000000000002', 'PARENT', TRUE, '2024-11-20 00:00+00', TRUE);

INSERT INTO warehouse.dim_subject (subject_code, subject_name, is_active, effective_from, is_current) VALUES
    ('MATH', 'Mathematics', TRUE, '2024-01-01 00:00+00', TRUE),
    ('ELA', 'English Language Arts', TRUE, '2024-01-01 00:00+00', TRUE);

INSERT INTO warehouse.dim_skill (skill_id, subject_code, skill_code, skill_name, grade_band, effective_from, is_current) VALUES
    ('5c110000-0000-4000-8000-000000000001', 'MATH', 'MATH.G3.NF.1', 'Understand unit fractions', '3-5', '2024-01-01 00:00+00', TRUE),
    ('5c110000-0000-4000-8000-000000000002', 'ELA', 'ELA.G5.RL.2', 'Determine the theme of a story', '3-5', '2024-01-01 00:00+00', TRUE);

-- Facts of 2025-01-15. Keys are looked up as the jobs do: the version valid at the event's time.
INSERT INTO warehouse.fact_sessions (session_id, date_key, tenant_key, learner_key, duration_seconds, activities_completed, correct_responses, started_at)
SELECT f.session_id::uuid, 20250115, t.tenant_key, l.learner_key, f.duration_seconds, f.activities, f.correct, f.started_at::timestamptz
FROM (VALUES
    ('5e550000-0000-4000-8000-000000000001', '1ea40000-0000-4000-8000-000000000001', 1800, 12, 10, '2025-01-15 14:00+00'),
    ('5e550000-0000-4000-8000-000000000002', '1ea40000-0000-4000-8000-000000000002', 900, 5, 3, '2025-01-15 18:30+00')
) AS f (session_id, learner_id, duration_seconds, activities, correct, started_at)
JOIN warehouse.dim_learner l ON l.learner_id = f.learner_id::uuid
    AND f.started_at::timestamptz >= l.effective_from AND (l.effective_to IS NULL OR f.started_at::timestamptz < l.effective_to)
JOIN warehouse.dim_tenant t ON t.tenant_id = l.tenant_id
    AND f.started_at::timestamptz >= t.effective_from AND (t.effective_to IS NULL OR f.started_at::timestamptz < t.effective_to);

INSERT INTO warehouse.fact_focus_events (event_id, date_key, tenant_key, learner_key, session_id, event_type, occurred_at, duration_seconds)
SELECT f.event_id::uuid, s.date_key, s.tenant_key, s.learner_key, s.session_id, f.event_type, f.occurred_at::timestamptz, f.duration_seconds
FROM (VALUES
    ('f0c50000-0000-4000-8000-000000000001', '5e550000-0000-4000-8000-000000000001', 'FOCUS_LOST', '2025-01-15 14:10+00', 40),
    ('f0c50000-0000-4000-8000-000000000002', '5e550000-0000-4000-8000-000000000001', 'FOCUS_REGAINED', '2025-01-15 14:10:40+00', NULL),
    ('f0c50000-0000-4000-8000-000000000003', '5e550000-0000-4000-8000-000000000002', 'IDLE', '2025-01-15 18:40+00', 120)
) AS f (event_id, session_id, event_type, occurred_at, duration_seconds)
JOIN warehouse.fact_sessions s ON s.session_id = f.session_id::uuid;

INSERT INTO warehouse.fact_homework_events (date_key, tenant_key, learner_key, subject_key, assigned_by_user_key, homework_id, submissions, questions_answered, correct_answers, hints_used, time_spent_seconds)
SELECT 20250115, s.tenant_key, s.learner_key, sub.subject_key, u.user_key, f.homework_id::uuid, f.submissions, f.answered, f.correct, f.hints, f.seconds
FROM (VALUES
    ('5e550000-0000-4000-8000-000000000001', 'MATH', '05e40000-0000-4000-8000-000000000001', '40e00000-0000-4000-8000-000000000001', 1, 10, 8, 2, 600),
    ('5e550000-0000-4000-8000-000000000002', 'ELA', '05e40000-0000-4000-8000-000000000002', '40e00000-0000-4000-8000-000000000002', 2, 6, 4, 0, 420)
) AS f (session_id, subject_code, user_id, homework_id, submissions, answered, correct, hints, seconds)
JOIN warehouse.fact_sessions s ON s.session_id = f.session_id::uuid
JOIN warehouse.dim_subject sub ON sub.subject_code = f.subject_code AND sub.is_current
JOIN warehouse.dim_user u ON u.user_id = f.user_id::uuid AND u.is_current;

INSERT INTO warehouse.fact_learning_progress (date_key, tenant_key, learner_key, skill_key, mastery_level, attempts, correct_attempts, time_spent_seconds)
SELECT s.date_key, s.tenant_key, s.learner_key, k.skill_key, f.mastery, f.attempts, f.correct, f.seconds
FROM (VALUES
    ('5e550000-0000-4000-8000-000000000001', '5c110000-0000-4000-8000-000000000001', 0.7250, 12, 10, 1500),
    ('5e550000-0000-4000-8000-000000000002', '5c110000-0000-4000-8000-000000000002', 0.4100, 5, 3, 800)
) AS f (session_id, skill_id, mastery, attempts, correct, seconds)
JOIN warehouse.fact_sessions s ON s.session_id = f.session_id::uuid
JOIN warehouse.dim_skill k ON k.skill_id = f.skill_id::uuid AND k.is_current;

INSERT INTO warehouse.fact_recommendation_events (recommendation_id, date_key, tenant_key, learner_key, subject_key, skill_key, recommendation_type, model_version, shown_at, accepted, responded_at)
SELECT f.recommendation_id::uuid, s.date_key, s.tenant_key, s.learner_key, k.subject_key, k.skill_key, f.kind, 'rec-2025.01', f.shown_at::timestamptz, f.accepted, f.responded_at::timestamptz
FROM (VALUES
    ('4ec00000-0000-4000-8000-000000000001', '5e550000-0000-4000-8000-000000000001', 'MATH', 'NEXT_SKILL', '2025-01-15 14:30+00', TRUE, '2025-01-15 14:30:20+00'),
    ('4ec00000-0000-4000-8000-000000000002', '5e550000-0000-4000-8000-000000000002', NULL, 'BREAK', '2025-01-15 18:45+00', NULL, NULL)
) AS f (recommendation_id, session_id, subject_code, kind, shown_at, accepted, responded_at)
JOIN warehouse.fact_sessions s ON s.session_id = f.session_id::uuid
LEFT JOIN (
    SELECT sub.subject_code, sub.subject_key, sk.skill_key
    FROM warehouse.dim_subject sub JOIN warehouse.dim_skill sk ON sk.subject_code = sub.subject_code AND sk.is_current
    WHERE sub.is_current
) k ON k.subject_code = f.subject_code;

INSERT INTO warehouse.etl_job_runs (job_name, run_date, target_date, status, rows_processed, rows_inserted, rows_updated, rows_deleted, duration_ms, error_message, started_at, completed_at) VALUES
    ('sync_dim_tenant', '2025-01-16', NULL, 'SUCCESS', 3, 0, 0, 0, 120, NULL, '2025-01-16 01:00+00', '2025-01-16 01:00:00.120+00'),
    ('build_fact_sessions', '2025-01-16', '2025-01-15', 'FAILED', 0, 0, 0, 0, 30000, 'OLTP connection timed out', '2025-01-16 02:00+00', '2025-01-16 02:00:30+00'),
    ('build_fact_sessions', '2025-01-16', '2025-01-15', 'SUCCESS', 2, 2, 0, 0, 840, NULL, '2025-01-16 03:00+00', '2025-01-16 03:00:00.840+00'),
    ('build_fact_learning_progress', '2025-01-16', '2025-01-15', 'RUNNING', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-16 03:00:01+00', NULL);
