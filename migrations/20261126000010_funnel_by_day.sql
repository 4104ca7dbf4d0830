-- The funnel at any period (issue "team dashboards"): how many opportunities of a cycle were
-- created on a day by a salesperson and have reached each furthest stage. A year or three of
-- creation dates then reads a few hundred thousand small rows at most instead of every
-- opportunity. Kept by statement triggers in the transaction of the change: a create adds to
-- its row, a move that raises the furthest stage moves one count from its old row to its new
-- one.
create table funnel_by_day (
    cycle_id       bigint not null references sales_cycles (id) on delete cascade,
    creation_date  date not null,
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    furthest_stage integer not null,
    opportunities  bigint not null check (opportunities >= 0),
    primary key (cycle_id, creation_date, salesperson_id, furthest_stage)
);

create function funnel_by_day_recomputed()
returns table (cycle_id bigint, creation_date date, salesperson_id bigint, furthest_stage integer, opportunities bigint)
language sql stable as $$
    select o.cycle_id, o.creation_date, o.salesperson_id, o.furthest_stage, count(*)
    from opportunities o group by 1, 2, 3, 4
$$;
insert into funnel_by_day select * from funnel_by_day_recomputed();

create function opportunities_funnel_inserted() returns trigger
language plpgsql as $$
begin
    insert into funnel_by_day (cycle_id, creation_date, salesperson_id, furthest_stage, opportunities)
    select i.cycle_id, i.creation_date, i.salesperson_id, i.furthest_stage, count(*)
    from inserted i group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict on constraint funnel_by_day_pkey do update
        set opportunities = funnel_by_day.opportunities + excluded.opportunities;
    return null;
end
$$;
create trigger t_funnel_inserted after insert on opportunities
    referencing new table as inserted
    for each statement execute function opportunities_funnel_inserted();

create function opportunities_funnel_updated() returns trigger
language plpgsql as $$
begin
    -- The old rows lose their counts first, then the new ones gain them: a raised furthest stage
    -- takes the lower key first, so concurrent moves lock rows in the same order. (Two
    -- statements: a CHECK is tested before ON CONFLICT, so a negative upsert would fail.)
    update funnel_by_day f set opportunities = f.opportunities - x.n
    from (
        select b.cycle_id, b.creation_date, b.salesperson_id, b.furthest_stage, count(*) as n
        from before_update b join after_update a on a.id = b.id
        where a.furthest_stage <> b.furthest_stage
        group by 1, 2, 3, 4
    ) x
    where (f.cycle_id, f.creation_date, f.salesperson_id, f.furthest_stage) = (x.cycle_id, x.creation_date, x.salesperson_id, x.furthest_stage);
    insert into funnel_by_day (cycle_id, creation_date, salesperson_id, furthest_stage, opportunities)
    select a.cycle_id, a.creation_date, a.salesperson_id, a.furthest_stage, count(*)
    from before_update b join after_update a on a.id = b.id
    where a.furthest_stage <> b.furthest_stage
    group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict on constraint funnel_by_day_pkey do update
        set opportunities = funnel_by_day.opportunities + excluded.opportunities;
    return null;
end
$$;
create trigger t_funnel_updated after update on opportunities
    referencing old table as before_update new table as after_update
    for each statement execute function opportunities_funnel_updated();

-- The funnel no longer reads the opportunities themselves.
drop index opportunities_funnel;
