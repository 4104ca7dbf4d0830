-- Opportunities, their append-only entries, tasks and quotes (DOMAIN.md "Opportunities",
-- "Updating", "Closing", "Tasks", "Quotes"). The rules live in app::domain::entries; the
-- database guards what must never break whatever the code does: one active entry per
-- opportunity, entries never edited (only deactivated), numbers never reused.

create sequence opportunity_no_seq;
-- 'OP' + at least five digits; past OP99999 the number simply grows.
create function next_opportunity_no() returns text
language sql volatile as $$
    select 'OP' || lpad(n::text, greatest(5, char_length(n::text)), '0')
    from nextval('opportunity_no_seq') as n
$$;

create sequence quote_no_seq;
create function next_quote_no() returns text
language sql volatile as $$
    select 'SQ' || lpad(n::text, greatest(5, char_length(n::text)), '0')
    from nextval('quote_no_seq') as n
$$;

create table opportunities (
    id                     bigint generated always as identity primary key,
    no                     text not null default next_opportunity_no(),
    description            text not null
                           check (char_length(btrim(description)) between 1 and 100 and description = btrim(description)),
    contact_id             bigint not null references contacts (id) on delete restrict,
    -- The contact's company when the opportunity was created (derived, never typed).
    contact_company_id     bigint references contacts (id) on delete restrict,
    salesperson_id         bigint not null references salespeople (id) on delete restrict,
    cycle_id               bigint not null references sales_cycles (id) on delete restrict,
    creation_date          date not null,
    priority               text not null default 'normal' check (priority in ('low', 'normal', 'high')),
    -- Derived from the active entry by the operations, never typed in.
    status                 text not null default 'not_started'
                           check (status in ('not_started', 'in_progress', 'won', 'lost')),
    closed                 boolean not null default false,
    date_closed            date,
    close_code_id          bigint references close_codes (id) on delete restrict,
    -- The active entry's figures, copied in the transaction that writes the entry so that lists
    -- and totals need no join. Before the first entry: the estimate typed at creation.
    current_stage_id       bigint references sales_cycle_stages (id) on delete restrict,
    estimated_value        numeric(18,2) not null default 0 check (estimated_value >= 0),
    chances_pct            numeric(5,2) not null default 0 check (chances_pct between 0 and 100),
    completed_pct          numeric(5,2) not null default 0 check (completed_pct between 0 and 100),
    probability_pct        numeric(5,2) not null default 0 check (probability_pct between 0 and 100),
    calculated_value       numeric(18,2) not null default 0 check (calculated_value >= 0),
    estimated_closing_date date,
    entry_count            integer not null default 0 check (entry_count >= 0),
    -- Optimistic locking: every change bumps it and requires the version the user saw.
    version                integer not null default 1 check (version >= 1),
    created_by             bigint references users (id) on delete set null,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    constraint opportunities_no_key unique (no),
    constraint opportunities_closed_matches_status check (closed = (status in ('won', 'lost'))),
    constraint opportunities_date_closed_when_closed check (closed = (date_closed is not null))
);
create trigger t_set_updated_at before update on opportunities
    for each row execute function set_updated_at();
create index opportunities_salesperson on opportunities (salesperson_id);
create index opportunities_contact on opportunities (contact_id);
create index opportunities_company on opportunities (contact_company_id) where contact_company_id is not null;
create index opportunities_open_by_stage on opportunities (cycle_id, current_stage_id) where not closed;
create index opportunities_by_closing on opportunities (estimated_closing_date, id);
create index opportunities_by_created on opportunities (created_at, id);

create table opportunity_entries (
    id                     bigint generated always as identity primary key,
    opportunity_id         bigint not null references opportunities (id) on delete cascade,
    entry_no               integer not null check (entry_no > 0),
    -- Null only for the final entry of an opportunity closed before it started.
    stage_id               bigint references sales_cycle_stages (id) on delete restrict,
    previous_stage_id      bigint references sales_cycle_stages (id) on delete restrict,
    action_taken           text not null
                           check (action_taken in ('first', 'next', 'previous', 'jumped', 'updated', 'won', 'lost')),
    date_of_change         date not null,
    user_id                bigint references users (id) on delete set null,
    estimated_value        numeric(18,2) not null check (estimated_value >= 0),
    chances_pct            numeric(5,2) not null check (chances_pct between 0 and 100),
    completed_pct          numeric(5,2) not null check (completed_pct between 0 and 100),
    probability_pct        numeric(5,2) not null check (probability_pct between 0 and 100),
    calculated_value       numeric(18,2) not null check (calculated_value >= 0),
    estimated_closing_date date not null,
    active                 boolean not null,
    days_open              integer not null default 0 check (days_open >= 0),
    date_closed            date,
    close_code_id          bigint references close_codes (id) on delete restrict,
    created_at             timestamptz not null default now(),
    constraint opportunity_entries_no_key unique (opportunity_id, entry_no),
    constraint opportunity_entries_close_data check ((action_taken in ('won', 'lost')) = (close_code_id is not null and date_closed is not null))
);
-- Exactly one active entry per started opportunity: a second one fails the insert, whatever
-- raced.
create unique index opportunity_entries_one_active on opportunity_entries (opportunity_id) where active;
create index opportunity_entries_stage on opportunity_entries (stage_id) where not active;

-- Entries are history: once written, only "active" may go from true to false (with its days
-- open). Anything else is a bug, and the database refuses it.
create function opportunity_entries_append_only() returns trigger
language plpgsql as $$
begin
    if (to_jsonb(new) - 'active' - 'days_open') <> (to_jsonb(old) - 'active' - 'days_open')
       or (new.active and not old.active) then
        raise exception 'opportunity entries are append-only (entry % of opportunity %)', old.entry_no, old.opportunity_id
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger t_append_only before update on opportunity_entries
    for each row execute function opportunity_entries_append_only();

create table tasks (
    id             bigint generated always as identity primary key,
    kind           text not null check (kind in ('task', 'meeting', 'phone_call')),
    description    text not null check (char_length(btrim(description)) between 1 and 100),
    priority       text not null default 'normal' check (priority in ('low', 'normal', 'high')),
    due_date       date not null,
    salesperson_id bigint not null references salespeople (id) on delete restrict,
    contact_id     bigint references contacts (id) on delete set null,
    opportunity_id bigint references opportunities (id) on delete cascade,
    -- The stage whose activity created the task.
    stage_id       bigint references sales_cycle_stages (id) on delete set null,
    status         text not null default 'open' check (status in ('open', 'done', 'cancelled')),
    version        integer not null default 1 check (version >= 1),
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create trigger t_set_updated_at before update on tasks
    for each row execute function set_updated_at();
create index tasks_open_by_salesperson on tasks (salesperson_id, due_date) where status = 'open';
create index tasks_opportunity on tasks (opportunity_id);

create table quotes (
    id             bigint generated always as identity primary key,
    no             text not null default next_quote_no(),
    -- One quote per opportunity (DOMAIN.md: an optional link to one quote).
    opportunity_id bigint not null references opportunities (id) on delete cascade,
    quote_date     date not null,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint quotes_no_key unique (no),
    constraint quotes_opportunity_key unique (opportunity_id)
);
create trigger t_set_updated_at before update on quotes
    for each row execute function set_updated_at();

create table quote_lines (
    id           bigint generated always as identity primary key,
    quote_id     bigint not null references quotes (id) on delete cascade,
    line_no      integer not null check (line_no > 0),
    description  text not null check (char_length(btrim(description)) between 1 and 100),
    quantity     numeric(14,4) not null check (quantity > 0),
    unit_price   numeric(18,2) not null check (unit_price >= 0),
    discount_pct numeric(5,2) not null default 0 check (discount_pct between 0 and 100),
    constraint quote_lines_no_key unique (quote_id, line_no)
);
