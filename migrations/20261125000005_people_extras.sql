-- Setup › Salespeople and Setup › Teams: optimistic concurrency for the edit forms. An edit sends
-- the version it started from; `update … where id = $1 and version = $2` then refuses a save
-- that would silently overwrite someone else's change. Membership changes need no version: adding
-- or removing one member or manager is idempotent.
alter table salespeople add column version integer not null default 0;
alter table teams add column version integer not null default 0;
