-- A small hand-written dataset in the state V3 finds: attributes still in the EAV table (one
-- key stored twice, one interaction without attributes), some attributes already written to
-- the JSON column by the new processing layer, and NULL timestamps from older clients.
-- Load it after V2, before V3: `schema migrate --target 2`, this file, then `schema migrate`.

INSERT INTO telemetry.events (id, trace_id, span_id, name, "timestamp", created_at) VALUES
    (1, 'trace-a', 'span-1', 'llm.request.start', '2025-02-01 10:00:00+00', '2025-02-01 10:00:02+00'),
    (2, 'trace-a', 'span-1', 'llm.request.finish', NULL, '2025-02-01 10:00:07+00'),
    (3, 'trace-b', 'span-2', 'llm.request.start', NULL, '2025-02-01 11:30:00+00'),
    (4, 'trace-c', 'span-3', 'llm.request.start', '2025-02-02 09:00:00+00', '2025-02-02 09:00:01+00');
SELECT setval(pg_get_serial_sequence('telemetry.events', 'id'), 4);

INSERT INTO telemetry.llm_interactions (id, event_id, interaction_type, vendor, model, "timestamp", attributes) VALUES
    (1, 1, 'start', 'anthropic', 'claude-3-5-sonnet', '2025-02-01 10:00:00+00', DEFAULT),
    (2, 2, 'finish', 'anthropic', 'claude-3-5-sonnet', NULL, DEFAULT),
    (3, 3, 'start', 'openai', 'gpt-4o', NULL, '{"session.id": "s-json", "written.by": "processing layer"}'),
    (4, 4, 'start', 'openai', 'gpt-4o-mini', '2025-02-02 09:00:00+00', DEFAULT);
SELECT setval(pg_get_serial_sequence('telemetry.llm_interactions', 'id'), 4);

INSERT INTO telemetry.llm_interaction_attributes (llm_interaction_id, key, value) VALUES
    (1, 'session.id', 's-1'),
    (1, 'llm.request.max_tokens', '1024'),
    (1, 'llm.request.temperature', '0.2'),
    (2, 'session.id', 's-1'),
    (2, 'llm.usage.total_tokens', '812'),
    (2, 'llm.response.finish_reason', 'length'),
    (2, 'llm.response.finish_reason', 'stop'),
    (3, 'session.id', 's-eav'),
    (3, 'llm.request.max_tokens', '256');
