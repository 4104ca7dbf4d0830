-- Every change of an opportunity tells the live board (pg_notify) and writes its webhook event
-- to the outbox (webhook_emit), in the changing transaction. Both in one function so that a
-- change pays one round trip for them, and so that a CSV import announces all its rows with
-- one statement at its end instead of two per row.
--
-- p_ids: the opportunities, as they are now (call it after the change); p_kind: the live kind
-- (app::live::ChangeKind::as_str); p_event: the webhook event, or null when the change is none
-- (reorders, quote and task changes); p_channel: app::live::CHANNEL.
-- The notification carries ids and the version only, never row data (app/src/live.rs); the
-- event's payload is the public webhook payload (README, "Webhooks").
create function opportunities_changed(p_ids bigint[], p_kind text, p_event text, p_user bigint, p_channel text)
returns void
language plpgsql volatile as $$
begin
    perform pg_notify(p_channel, json_build_object('id', o.id, 'v', o.version, 'sp', o.salesperson_id, 'k', p_kind,
                                                   'by', p_user, 'at', (extract(epoch from clock_timestamp()) * 1000)::bigint)::text)
    from opportunities o where o.id = any (p_ids)
    order by o.id;

    if p_event is null or not exists (select 1 from webhooks w where w.active and p_event = any (w.events)) then
        return;
    end if;
    perform webhook_emit(p_event, jsonb_build_object(
               'event', p_event, 'occurred_at', clock_timestamp(),
               'by', (select u.display_name from users u where u.id = p_user),
               'opportunity', jsonb_build_object(
                   'no', o.no, 'description', o.description, 'status', o.status, 'priority', o.priority,
                   'contact_no', c.no, 'contact_name', c.name, 'salesperson_code', sp.code, 'sales_cycle', cy.code,
                   'stage', (select jsonb_build_object('id', s.id, 'number', s.stage, 'description', s.description)
                             from sales_cycle_stages s where s.id = o.current_stage_id),
                   'estimated_value', o.estimated_value::text, 'probability_pct', o.probability_pct::text,
                   'calculated_value', o.calculated_value::text, 'estimated_closing_date', o.estimated_closing_date,
                   'date_closed', o.date_closed, 'close_code', (select cc.code from close_codes cc where cc.id = o.close_code_id),
                   'version', o.version)))
    from opportunities o
    join contacts c on c.id = o.contact_id
    join salespeople sp on sp.id = o.salesperson_id
    join sales_cycles cy on cy.id = o.cycle_id
    where o.id = any (p_ids)
    order by o.id;
end
$$;
