-- The access version also moves at every write to the notification settings and the
-- webhooks, which with the users say who hears of an alert. A server keeps that list
-- in memory, and an arrival that raises an alert, stored late (sqlstore/late.go), checks
-- in its pipeline that the version is still the one the list was read at, rather than
-- reading the list before its pipeline: one round trip, and its planning on every
-- connection, fewer for every alert. Both tables are written rarely.
CREATE TRIGGER notification_settings_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON notification_settings FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
CREATE TRIGGER webhooks_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webhooks FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
