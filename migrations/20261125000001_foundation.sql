-- Shared helpers for every table that follows.

-- Keeps `updated_at` honest on every UPDATE: attach with
--   create trigger t_set_updated_at before update on <table>
--   for each row execute function set_updated_at();
create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end;
$$;
