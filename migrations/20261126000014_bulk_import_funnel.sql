-- A CSV import creates up to 50,000 opportunities in one transaction. Counting each one into
-- funnel_by_day as it is inserted would update the same few summary rows tens of thousands of
-- times in one transaction (each update leaves a row version the next must step over: quadratic).
-- During an import (`set local pipeline.bulk_import = 'on'`) the insert trigger leaves the
-- counting to the import, which adds all its rows in one statement before it commits.
create or replace function opportunities_funnel_inserted() returns trigger
language plpgsql as $$
begin
    if current_setting('pipeline.bulk_import', true) = 'on' then
        return null;
    end if;
    insert into funnel_by_day (cycle_id, creation_date, salesperson_id, furthest_stage, opportunities)
    select i.cycle_id, i.creation_date, i.salesperson_id, i.furthest_stage, count(*)
    from inserted i group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict on constraint funnel_by_day_pkey do update
        set opportunities = funnel_by_day.opportunities + excluded.opportunities;
    return null;
end
$$;

-- What the import runs at its end: the funnel counts of the opportunities it created.
create function funnel_count_created(ids bigint[]) returns void
language sql volatile as $$
    insert into funnel_by_day (cycle_id, creation_date, salesperson_id, furthest_stage, opportunities)
    select o.cycle_id, o.creation_date, o.salesperson_id, o.furthest_stage, count(*)
    from opportunities o where o.id = any (ids) group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict on constraint funnel_by_day_pkey do update
        set opportunities = funnel_by_day.opportunities + excluded.opportunities;
$$;
