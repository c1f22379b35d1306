-- Migration 0480 is undone: the deliveries' urgency trigger runs once per delivery
-- inserted again, as migration 0230 made it (with 0370's function). One call per
-- statement, folding a transition table, was meant to cost the server less per arrival;
-- measured, it did not: the server's CPU per message stored (postgres's BenchmarkReceive,
-- old and new alternated) and per message delivered (cmd/forewarn's DeliveryPostgres)
-- moved within their noise, either way, and inserting batches of 8 deliveries with
-- their messages took 37-52 µs a row with either trigger. What the row trigger costs is
-- a lookup of the message by its key, which the statement's query made as well, and
-- more: the transition table kept, its rows sorted and grouped, each message read twice.
DROP TRIGGER deliveries_urgency_insert ON deliveries;
DROP TRIGGER deliveries_urgency ON deliveries;
DROP FUNCTION forewarn_record_inserted_deliveries();
CREATE TRIGGER deliveries_urgency AFTER INSERT OR DELETE OR UPDATE OF message_id, actioned_at, overdue_since, deadline ON deliveries
	FOR EACH ROW EXECUTE FUNCTION forewarn_message_urgency();
