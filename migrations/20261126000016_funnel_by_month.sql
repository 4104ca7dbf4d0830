-- The funnel over a long period (three years: about 270,000 funnel_by_day rows at a million
-- opportunities) reads whole calendar months from this table and only the days at the period's
-- ends from funnel_by_day (app::domain::metrics::whole_months). Kept from funnel_by_day by a row
-- trigger, so every writer of funnel_by_day (creates, moves, imports, the seed) keeps it too, in
-- the same transaction.
create table funnel_by_month (
    cycle_id       bigint not null references sales_cycles (id) on delete cascade,
    month          date not null check (extract(day from month) = 1),
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    furthest_stage integer not null,
    opportunities  bigint not null check (opportunities >= 0),
    primary key (cycle_id, month, salesperson_id, furthest_stage)
);

create function funnel_by_month_recomputed()
returns table (cycle_id bigint, month date, salesperson_id bigint, furthest_stage integer, opportunities bigint)
language sql stable as $$
    select o.cycle_id, date_trunc('month', o.creation_date)::date, o.salesperson_id, o.furthest_stage, count(*)
    from opportunities o group by 1, 2, 3, 4
$$;

-- A funnel_by_day row's key never changes; only its count does.
create function funnel_by_day_to_month() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into funnel_by_month (cycle_id, month, salesperson_id, furthest_stage, opportunities)
        values (new.cycle_id, date_trunc('month', new.creation_date)::date, new.salesperson_id, new.furthest_stage, new.opportunities)
        on conflict on constraint funnel_by_month_pkey do update
            set opportunities = funnel_by_month.opportunities + excluded.opportunities;
    elsif tg_op = 'UPDATE' then
        update funnel_by_month m set opportunities = m.opportunities + (new.opportunities - old.opportunities)
        where (m.cycle_id, m.month, m.salesperson_id, m.furthest_stage)
            = (old.cycle_id, date_trunc('month', old.creation_date)::date, old.salesperson_id, old.furthest_stage);
    else
        update funnel_by_month m set opportunities = m.opportunities - old.opportunities
        where (m.cycle_id, m.month, m.salesperson_id, m.furthest_stage)
            = (old.cycle_id, date_trunc('month', old.creation_date)::date, old.salesperson_id, old.furthest_stage);
    end if;
    return null;
end
$$;
create trigger t_funnel_by_day_to_month after insert or update or delete on funnel_by_day
    for each row execute function funnel_by_day_to_month();

insert into funnel_by_month
select f.cycle_id, date_trunc('month', f.creation_date)::date, f.salesperson_id, f.furthest_stage, sum(f.opportunities)
from funnel_by_day f group by 1, 2, 3, 4;
