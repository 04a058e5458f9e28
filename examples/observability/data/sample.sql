-- A small hand-written dataset for the observability example: three sessions, one of them
-- reconnected, with tool calls (success, error, pending), errors, metrics and lifecycle events.
-- Every row satisfies the checks of the YAML (`schema validate`).

INSERT INTO observability.sessions (session_id, start_time, last_activity, status, metadata) VALUES
    ('s-1', '2025-01-15 09:00:00', '2025-01-15 09:20:00', 'closed', '{"transport": "stdio"}'),
    ('s-2', '2025-01-15 10:00:00', '2025-01-15 10:45:00', 'active', '{"transport": "http"}'),
    ('s-3', '2025-01-16 08:00:00', NULL, 'active', NULL);

INSERT INTO observability.client_sessions
    (session_id, client_name, client_version, connect_time, disconnect_time, last_activity,
     supports_streaming, supports_notifications, supported_content_types, protocol_version,
     initialization_params, target_repl, total_requests, total_errors, total_data_sent, total_data_received) VALUES
    ('s-1', 'claude-desktop', '0.7.1', '2025-01-15 09:00:01', '2025-01-15 09:20:00', '2025-01-15 09:20:00',
     TRUE, TRUE, '["text", "image"]', '2024-11-05', '{"capabilities": {}}', 'julia', 3, 1, 2048, 8192),
    ('s-2', 'cursor', '0.44', '2025-01-15 10:00:02', '2025-01-15 10:30:00', '2025-01-15 10:30:00',
     FALSE, TRUE, '["text"]', '2024-11-05', '{}', 'julia', 2, 0, 512, 1024),
    ('s-2', 'cursor', '0.45', '2025-01-15 10:31:00', NULL, '2025-01-15 10:45:00',
     FALSE, TRUE, '["text"]', '2024-11-05', '{}', 'julia', 1, 0, 128, 256),
    ('s-3', 'claude-code', '1.0.0', '2025-01-16 08:00:01', NULL, NULL,
     TRUE, FALSE, '["text"]', '2025-03-26', '{}', 'python', 0, 0, 0, 0);

INSERT INTO observability.tool_executions
    (session_id, request_id, tool_name, tool_method, request_time, response_time, duration_ms,
     input_size, output_size, argument_count, arguments, status, result_type, result_summary,
     interaction_request_id, interaction_response_id) VALUES
    ('s-1', '1', 'ex', 'tools/call', '2025-01-15 09:01:00', '2025-01-15 09:01:00.250', 250,
     120, 900, 1, '{"code": "1 + 1"}', 'success', 'text', '2', 11, 12),
    ('s-1', '2', 'ex', 'tools/call', '2025-01-15 09:05:00', '2025-01-15 09:05:01.500', 1500,
     140, 300, 1, '{"code": "error(\"boom\")"}', 'error', 'error', 'boom', 13, 14),
    ('s-1', '3', 'search_docs', 'tools/call', '2025-01-15 09:10:00', '2025-01-15 09:10:00.080', 80,
     90, 4000, 2, '{"query": "DataFrames", "limit": 5}', 'success', 'text', 'DataFrames.jl ...', 15, 16),
    ('s-2', '1', 'ex', 'tools/call', '2025-01-15 10:05:00', '2025-01-15 10:05:00.400', 400,
     100, 200, 1, '{"code": "x = 3"}', 'success', 'text', '3', 21, 22),
    ('s-2', '2', 'ex', 'tools/call', '2025-01-15 10:44:00', NULL, NULL,
     100, 0, 1, '{"code": "sleep(60)"}', 'pending', NULL, NULL, 23, NULL);

INSERT INTO observability.errors
    (session_id, timestamp, error_type, error_code, error_category, tool_name, method, request_id,
     message, client_info, resolved, resolution_notes, interaction_id) VALUES
    ('s-1', '2025-01-15 09:05:01.500', 'tool_error', -32603, 'internal_error', 'ex', 'tools/call', '2',
     'boom', 'claude-desktop 0.7.1', FALSE, NULL, 14),
    ('s-2', '2025-01-15 10:02:00', 'protocol_error', -32601, 'method_not_found', NULL, 'resources/list', '0',
     'Method not found', 'cursor 0.44', TRUE, 'client probes optional methods', NULL);

INSERT INTO observability.performance_metrics
    (session_id, timestamp, metric_type, metric_name, duration_ms, throughput, memory_mb, cpu_percent,
     tool_name, agent_id, p50_ms, p95_ms, p99_ms) VALUES
    ('s-1', '2025-01-15 09:15:00', 'tool_execution', 'ex.latency', 610, NULL, NULL, NULL,
     'ex', NULL, 250, 1400, 1500),
    ('s-2', '2025-01-15 10:15:00', 'backend_communication', 'repl.roundtrip', 12.5, 80, 512, 37.5,
     NULL, 'agent-1', NULL, NULL, NULL);

INSERT INTO observability.session_lifecycle
    (session_id, timestamp, event_type, from_state, to_state, reason, triggered_by, metadata) VALUES
    ('s-1', '2025-01-15 09:00:00', 'created', NULL, 'created', NULL, 'client', NULL),
    ('s-1', '2025-01-15 09:00:01', 'initialized', 'created', 'ready', NULL, 'client', '{"protocol": "2024-11-05"}'),
    ('s-1', '2025-01-15 09:20:00', 'terminated', 'ready', 'closed', 'client exit', 'client', NULL),
    ('s-2', '2025-01-15 10:30:00', 'disconnected', 'ready', 'disconnected', 'network', 'timeout', NULL),
    ('s-2', '2025-01-15 10:31:00', 'reconnecting', 'disconnected', 'ready', NULL, 'client', NULL);
