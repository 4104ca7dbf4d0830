-- The dashboard at a million opportunities (issue "team dashboards", docs/benchmarks.md): covering
-- indexes so that every panel reads only the rows it counts, one derived column for the funnel
-- and one summary table for time in stage. Both are kept in the transaction of every change.

-- Funnel: an opportunity "reached" a stage if any of its entries is at that stage or a later
-- one, i.e. if its highest stage number so far is at least that stage's number. The move that
-- writes an entry raises it (opportunities::ops::write_plan); renumbering stages recomputes it
-- (trigger below). 0 = never started.
alter table opportunities add column furthest_stage integer not null default 0 check (furthest_stage >= 0);

create function opportunity_furthest_stage(opportunity bigint) returns integer
language sql stable as $$
    select coalesce(max(s.stage), 0)
    from opportunity_entries e join sales_cycle_stages s on s.id = e.stage_id
    where e.opportunity_id = opportunity
$$;

update opportunities set furthest_stage = opportunity_furthest_stage(id);

-- Stage numbers can be swapped or edited by an admin while opportunities use them: the
-- furthest stage of the cycle's opportunities is then worked out again, in the same transaction.
create function sales_cycle_stages_renumbered() returns trigger
language plpgsql as $$
begin
    update opportunities o set furthest_stage = opportunity_furthest_stage(o.id)
    where o.cycle_id in (select a.cycle_id from after_update a join before_update b on b.id = a.id where a.stage <> b.stage)
      and o.furthest_stage <> opportunity_furthest_stage(o.id);
    return null;
end
$$;
create trigger t_renumbered after update on sales_cycle_stages
    referencing old table as before_update new table as after_update
    for each statement execute function sales_cycle_stages_renumbered();

-- Time in stage: how many entries left each stage after how many days, per salesperson (an
-- opportunity's salesperson never changes). Entries are only ever deactivated once, so the
-- histogram only grows; mean and median come from it (domain::metrics::histogram_median).
create table stage_days (
    stage_id       bigint not null references sales_cycle_stages (id) on delete cascade,
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    days_open      integer not null check (days_open >= 0),
    entries        bigint not null check (entries > 0),
    primary key (stage_id, salesperson_id, days_open)
);

-- From scratch: used by the migration, the seed (which loads entries with COPY) and the
-- consistency check.
create function stage_days_recomputed() returns table (stage_id bigint, salesperson_id bigint, days_open integer, entries bigint)
language sql stable as $$
    select e.stage_id, o.salesperson_id, e.days_open, count(*)
    from opportunity_entries e join opportunities o on o.id = e.opportunity_id
    where not e.active and e.stage_id is not null
    group by 1, 2, 3
$$;
insert into stage_days select * from stage_days_recomputed();

create function opportunity_entries_left_stage() returns trigger
language plpgsql as $$
begin
    insert into stage_days (stage_id, salesperson_id, days_open, entries)
    select new.stage_id, o.salesperson_id, new.days_open, 1 from opportunities o where o.id = new.opportunity_id
    on conflict on constraint stage_days_pkey do update set entries = stage_days.entries + 1;
    return null;
end
$$;
create trigger t_left_stage after update of active on opportunity_entries
    for each row when (old.active and not new.active and new.stage_id is not null)
    execute function opportunity_entries_left_stage();

-- Closes per salesperson, day and outcome: won and lost in any period, win rates, the forecast's
-- past months and velocity read at most one row per salesperson and day instead of every
-- opportunity closed. An opportunity closes once and never reopens, so rows only grow.
create table closed_by_day (
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    date_closed    date not null,
    status         text not null check (status in ('won', 'lost')),
    opportunities  bigint not null check (opportunities > 0),
    -- Won: the amounts won; lost: 0 (a lost opportunity's calculated value is 0).
    calculated     numeric(20,2) not null,
    estimated      numeric(20,2) not null,
    -- Sum of days from creation to close, for the average cycle length.
    days_to_close  bigint not null,
    primary key (salesperson_id, date_closed, status)
);
create index closed_by_day_date on closed_by_day (date_closed);

create function closed_by_day_recomputed()
returns table (salesperson_id bigint, date_closed date, status text, opportunities bigint, calculated numeric, estimated numeric, days_to_close bigint)
language sql stable as $$
    select o.salesperson_id, o.date_closed, o.status, count(*), sum(o.calculated_value), sum(o.estimated_value),
           sum(o.date_closed - o.creation_date)
    from opportunities o where o.closed
    group by 1, 2, 3
$$;
insert into closed_by_day select * from closed_by_day_recomputed();

create function opportunities_closed() returns trigger
language plpgsql as $$
begin
    insert into closed_by_day (salesperson_id, date_closed, status, opportunities, calculated, estimated, days_to_close)
    values (new.salesperson_id, new.date_closed, new.status, 1, new.calculated_value, new.estimated_value,
            new.date_closed - new.creation_date)
    on conflict on constraint closed_by_day_pkey do update
        set opportunities = closed_by_day.opportunities + 1,
            calculated = closed_by_day.calculated + excluded.calculated,
            estimated = closed_by_day.estimated + excluded.estimated,
            days_to_close = closed_by_day.days_to_close + excluded.days_to_close;
    return null;
end
$$;
create trigger t_closed after update of closed on opportunities
    for each row when (not old.closed and new.closed)
    execute function opportunities_closed();

-- Pipeline now and the board's column totals: open cards of a cycle by stage.
drop index opportunities_open_by_stage;
create index opportunities_open_by_stage on opportunities (cycle_id, current_stage_id)
    include (salesperson_id, estimated_value, calculated_value) where not closed;
-- Forecast, overdue, open totals per salesperson: open opportunities by estimated closing date.
create index opportunities_open_by_closing on opportunities (estimated_closing_date)
    include (salesperson_id, estimated_value, calculated_value) where not closed;
-- Funnel: the opportunities of a cycle created in a period.
create index opportunities_funnel on opportunities (cycle_id, creation_date) include (salesperson_id, furthest_stage);
-- Slowest open opportunity per stage: active entries of open opportunities, oldest change first.
create index opportunity_entries_open_at_stage on opportunity_entries (stage_id, date_of_change, opportunity_id)
    where active and action_taken not in ('won', 'lost');
