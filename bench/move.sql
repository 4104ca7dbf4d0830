-- One card move, as pgbench runs it: exactly the statements that
--     POST /api/v1/opportunities/{no}/actions   {"action":"update"}
-- runs for an admin's API token (no If-Match, no Idempotency-Key), in the same order, one round
-- trip each. Captured with log_statement = 'all' from the release server and copied from the code
-- they come from. KEEP THIS FILE IN STEP WITH THAT CODE: scripts/bench-move.sh logs an API move
-- on every run, counts its statements and warns when this script runs a different number.
--
--   server/src/api/caller.rs         authenticate -> app/src/tokens/ops.rs authenticate
--                                    -> app/src/auth/backend.rs user_by_token              (1)
--                                    (app/src/auth/access.rs resolve: no query for an admin;
--                                    `update api_tokens set last_used_at` once a minute per
--                                    token at most: not here)
--   server/src/api/opportunities.rs  act -> app/src/opportunities/ops.rs find_by_no         (2)
--   app/src/opportunities/ops.rs     update: BEGIN (pool.begin)                             (3)
--                                    lock, active_entry, quote (+ quote_lines when the card
--                                    has a quote), stages                                 (4-7)
--                                    write_plan: deactivate the active entry, insert the new
--                                    one, update the opportunity (an Update creates no tasks)
--                                                                                        (8-10)
--   app/src/live.rs                  notify -> opportunities_changed (migration 15):
--                                    pg_notify and, when a webhook listens, webhook_emit    (11)
--   app/src/opportunities/ops.rs     COMMIT (tx.commit)                                    (12)
--   server/src/api/opportunities.rs  answer -> app/src/opportunities/ops.rs header          (13)
--
-- 13 statements for a card without a quote, 14 for one with a quote (BEGIN and COMMIT counted).
--
-- Where this differs from the server, and why:
--  * The card: pgbench draws :k and find_by_no's statement reads the card's number from
--    bench_cards (bench/move-init.sql: the open cards whose estimated closing date is after
--    today; the HTTP run draws its URLs from the same table) in a subquery instead of taking it
--    as a parameter: no extra round trip.
--  * Parameters: the admin's scope is NULL (sqlx binds NULL); pgbench cannot send a NULL, so it
--    is written `null::bigint[]`. What the server computes in Rust is computed here from what the
--    same statements read (\gset, \aset): the entry number + 1 in pgbench; today's date and the
--    days spent in the stage in SQL (pgbench has no dates); the stage's chances % and completed %,
--    which the server takes from the `stages` rows (several rows, so not \gset-able), from -D
--    variables s1..s5 (the STANDARD cycle's stage ids), s1_ch.. and s1_co..; probability and
--    calculated value in SQL from those (the STANDARD cycle multiplies). A card moved by another
--    client since find_by_no ends in ROLLBACK, as the server's 409 does.
--  * Column aliases with sqlx type hints ("x: chrono::NaiveDate") are plain names in the three
--    statements whose result pgbench stores (pgbench variable names cannot hold ':').
--  * pgbench runs BEGIN and COMMIT as prepared statements; sqlx sends them as simple queries.
--  * The server checks a pooled connection before use only when it was idle for more than a
--    second (server/src/db.rs; a Sync round trip, not SQL, not in the statement log): under load,
--    never.
--
-- Variables from bench-move.sh (-D): secret_hash ('\x' and the hex SHA-256 of the bench token),
-- user_id, ncards, channel, kind, event, and the stage variables above.

\set k random(1, :ncards)

-- (1) app/src/auth/backend.rs user_by_token
select u.id, u.email, u.display_name, u.role, u.salesperson_id, u.password_hash, u.session_epoch,
                t.id as token_id, t.last_used_at as "last_used_at: chrono::DateTime<chrono::Utc>"
         from api_tokens t join users u on u.id = t.user_id
         where t.secret_hash = :secret_hash and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and u.active;

-- (2) find_by_no: the number comes from bench_cards (see above)
select id, version from opportunities where no = (select no from bench_cards where n = :k) and (null::bigint[] is null or salesperson_id = any(null::bigint[]))
\gset

-- (3) update: pool.begin()
BEGIN;

-- (4) lock (alias plain: the result is stored, as l_*)
select o.id, o.version, o.salesperson_id, o.contact_id, o.cycle_id, o.closed, o.estimated_value,
                o.estimated_closing_date as estimated_closing_date, c.blocked as cycle_blocked,
                c.probability_method
         from opportunities o join sales_cycles c on c.id = o.cycle_id
         where o.id = :id and (null::bigint[] is null or o.salesperson_id = any(null::bigint[]))
         for update of o
\gset l_

\if :l_version != :version
-- Moved by another client since find_by_no: the server answers 409 and its transaction rolls
-- back (sqlx sends ROLLBACK when the dropped transaction's connection is used next).
ROLLBACK;
\else

-- (5) active_entry (aliases plain: the result is stored)
select entry_no, stage_id, date_of_change as date_of_change, estimated_value,
                estimated_closing_date as estimated_closing_date, chances_pct
         from opportunity_entries where opportunity_id = :id and active
\gset

-- (6) quote, (6b) its lines when there is one
\set q_id 0
select id, no, quote_date as quote_date from quotes where opportunity_id = :id
\aset q_
\if :q_id > 0
select id, line_no, description, quantity, unit_price, discount_pct from quote_lines
         where quote_id = :q_id order by line_no;
\endif

-- (7) stages
select s.id, s.stage, s.description, s.completed_pct, s.chances_pct, s.allow_skip, s.quote_required,
                  s.date_formula, a.code as "activity_code?"
           from sales_cycle_stages s left join activities a on a.id = s.activity_id
           where s.cycle_id = :l_cycle_id order by s.stage;

-- The plan of an Update (app/src/domain/entries.rs plan_update): same stage, the stage's chances
-- and completed %, the estimate and closing date of the active entry, dated today.
\if :stage_id = :s1
\set ch :s1_ch
\set co :s1_co
\elif :stage_id = :s2
\set ch :s2_ch
\set co :s2_co
\elif :stage_id = :s3
\set ch :s3_ch
\set co :s3_co
\elif :stage_id = :s4
\set ch :s4_ch
\set co :s4_co
\else
\set ch :s5_ch
\set co :s5_co
\endif
\set next_entry :entry_no + 1

-- (8) write_plan: deactivate the active entry
update opportunity_entries set active = false, days_open = greatest(current_date - :date_of_change::date, 0)
             where opportunity_id = :id and entry_no = :entry_no and active;

-- (9) write_plan: the new entry
insert into opportunity_entries
             (opportunity_id, entry_no, stage_id, previous_stage_id, action_taken, date_of_change, user_id,
              estimated_value, chances_pct, completed_pct, probability_pct, calculated_value,
              estimated_closing_date, active, date_closed, close_code_id)
         values (:id, :next_entry, :stage_id, :stage_id, 'updated', greatest(current_date, :date_of_change::date), :user_id, :estimated_value, :ch, :co, round(:ch::numeric * :co / 100, 2), round(:estimated_value::numeric * :ch * :co / 10000, 2), :estimated_closing_date, true, null, null);

-- (10) write_plan: the opportunity
update opportunities set status = 'in_progress', closed = false, date_closed = null, close_code_id = null, current_stage_id = :stage_id,
                estimated_value = :estimated_value, chances_pct = :ch, completed_pct = :co, probability_pct = round(:ch::numeric * :co / 100, 2),
                calculated_value = round(:estimated_value::numeric * :ch * :co / 10000, 2), estimated_closing_date = :estimated_closing_date, entry_count = :next_entry, version = version + 1,
                furthest_stage = greatest(furthest_stage, coalesce((select stage from sales_cycle_stages where id = :stage_id), 0))
         where id = :id and version = :version
         returning version;

-- (11) app/src/live.rs notify -> notify_many (the ids as an array; no webhook listens here)
select opportunities_changed(array[:id]::bigint[], :kind, :event, :user_id, :channel);

-- (12) tx.commit()
COMMIT;

-- (13) answer -> header
select o.id, o.no, o.description, o.contact_id, ct.name as contact_name, co.name as "company_name?",
                  sp.name as salesperson_name, cy.code as cycle_code,
                  o.creation_date as "creation_date: chrono::NaiveDate", o.priority, o.status,
                  o.date_closed as "date_closed: chrono::NaiveDate", cc.code as "close_code?",
                  s.id as "stage_id?", s.stage as "stage_no?", s.description as "stage_description?",
                  o.estimated_value, o.chances_pct, o.completed_pct, o.probability_pct,
                  o.calculated_value, o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", o.version
           from opportunities o
           join contacts ct on ct.id = o.contact_id
           left join contacts co on co.id = o.contact_company_id
           join salespeople sp on sp.id = o.salesperson_id
           join sales_cycles cy on cy.id = o.cycle_id
           left join sales_cycle_stages s on s.id = o.current_stage_id
           left join close_codes cc on cc.id = o.close_code_id
           where o.id = :id and (null::bigint[] is null or o.salesperson_id = any(null::bigint[]));
\endif
