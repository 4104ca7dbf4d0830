-- Closes over a long period (three years: about 105,000 closed_by_day rows at a million
-- opportunities) read whole calendar months from this table and only the days at the period's
-- ends from closed_by_day, as the funnel does (migration 16). Kept from closed_by_day by a row
-- trigger, so every writer of closed_by_day (closes, the seed) keeps it too, in the same
-- transaction.
create table closed_by_month (
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    month          date not null check (extract(day from month) = 1),
    status         text not null check (status in ('won', 'lost')),
    opportunities  bigint not null check (opportunities >= 0),
    calculated     numeric(20,2) not null,
    estimated      numeric(20,2) not null,
    days_to_close  bigint not null,
    primary key (salesperson_id, month, status)
);

create function closed_by_month_recomputed()
returns table (salesperson_id bigint, month date, status text, opportunities bigint, calculated numeric, estimated numeric, days_to_close bigint)
language sql stable as $$
    select o.salesperson_id, date_trunc('month', o.date_closed)::date, o.status, count(*), sum(o.calculated_value),
           sum(o.estimated_value), sum(o.date_closed - o.creation_date)
    from opportunities o where o.closed
    group by 1, 2, 3
$$;

-- A closed_by_day row's key never changes; only its sums do.
create function closed_by_day_to_month() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into closed_by_month (salesperson_id, month, status, opportunities, calculated, estimated, days_to_close)
        values (new.salesperson_id, date_trunc('month', new.date_closed)::date, new.status, new.opportunities,
                new.calculated, new.estimated, new.days_to_close)
        on conflict on constraint closed_by_month_pkey do update
            set opportunities = closed_by_month.opportunities + excluded.opportunities,
                calculated = closed_by_month.calculated + excluded.calculated,
                estimated = closed_by_month.estimated + excluded.estimated,
                days_to_close = closed_by_month.days_to_close + excluded.days_to_close;
    elsif tg_op = 'UPDATE' then
        update closed_by_month m
        set opportunities = m.opportunities + (new.opportunities - old.opportunities),
            calculated = m.calculated + (new.calculated - old.calculated),
            estimated = m.estimated + (new.estimated - old.estimated),
            days_to_close = m.days_to_close + (new.days_to_close - old.days_to_close)
        where (m.salesperson_id, m.month, m.status) = (old.salesperson_id, date_trunc('month', old.date_closed)::date, old.status);
    else
        update closed_by_month m
        set opportunities = m.opportunities - old.opportunities,
            calculated = m.calculated - old.calculated,
            estimated = m.estimated - old.estimated,
            days_to_close = m.days_to_close - old.days_to_close
        where (m.salesperson_id, m.month, m.status) = (old.salesperson_id, date_trunc('month', old.date_closed)::date, old.status);
    end if;
    return null;
end
$$;
create trigger t_closed_by_day_to_month after insert or update or delete on closed_by_day
    for each row execute function closed_by_day_to_month();

insert into closed_by_month
select c.salesperson_id, date_trunc('month', c.date_closed)::date, c.status, sum(c.opportunities), sum(c.calculated),
       sum(c.estimated), sum(c.days_to_close)
from closed_by_day c group by 1, 2, 3;

-- The closes of the period p_from..=p_to, per salesperson, month and outcome: the whole months
-- p_whole_from..p_whole_to (exclusive; app::domain::metrics::whole_months) from closed_by_month,
-- the days around them from closed_by_day.
create function closes_between(p_from date, p_to date, p_whole_from date, p_whole_to date)
returns table (salesperson_id bigint, month date, status text, opportunities bigint, calculated numeric, estimated numeric, days_to_close bigint)
language sql stable as $$
    select c.salesperson_id, c.month, c.status, c.opportunities, c.calculated, c.estimated, c.days_to_close
    from closed_by_month c where c.month >= p_whole_from and c.month < p_whole_to
    union all
    select c.salesperson_id, date_trunc('month', c.date_closed)::date, c.status, c.opportunities, c.calculated, c.estimated, c.days_to_close
    from closed_by_day c where c.date_closed >= p_from and c.date_closed < p_whole_from
    union all
    select c.salesperson_id, date_trunc('month', c.date_closed)::date, c.status, c.opportunities, c.calculated, c.estimated, c.days_to_close
    from closed_by_day c where c.date_closed >= p_whole_to and c.date_closed <= p_to
$$;
