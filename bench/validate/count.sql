-- Scale: a plain COUNT(*) per table.

-- table: browser_automations
SELECT COUNT(*) FROM analytics.browser_automations;
-- table: chat_sessions
SELECT COUNT(*) FROM analytics.chat_sessions;
-- table: responses
SELECT COUNT(*) FROM analytics.responses;
-- table: tool_usage
SELECT COUNT(*) FROM analytics.tool_usage;
-- table: usage_metrics
SELECT COUNT(*) FROM analytics.usage_metrics;
-- table: web_automations
SELECT COUNT(*) FROM analytics.web_automations;
-- table: web_searches
SELECT COUNT(*) FROM analytics.web_searches;
