-- The cards bench/move.sql and the HTTP run of scripts/bench-move.sh move: the open opportunities
-- whose estimated closing date is after today (and whose last change is not in the future), so
-- that an Update without a new date is accepted (the server refuses a closing date before the
-- date of change). Numbered 1..n for pgbench's `random(1, :ncards)`; the HTTP run draws its URLs
-- from the same numbers.
create table bench_cards (n integer primary key, no text not null unique);
insert into bench_cards
select row_number() over (order by o.id), o.no
from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
where not o.closed and e.estimated_closing_date > current_date and e.date_of_change <= current_date;
