-- One board card as every board query shows it (the first page of each column, "show more",
-- and the live board's refetch of changed cards): the opportunity, its contact and company,
-- salesperson, active entry (what the move rules need) and quote total, plus the columns the
-- board filters on. PostgreSQL inlines the view, so each query's conditions reach the tables.
create view board_cards as
select o.id, o.version, o.no, o.description, ct.name as contact, co.name as company,
       o.estimated_value, o.probability_pct, o.calculated_value, o.estimated_closing_date, o.priority,
       sp.name as salesperson, o.board_rank, o.current_stage_id,
       e.entry_no, e.stage_id as entry_stage, e.date_of_change, e.estimated_value as entry_value,
       e.estimated_closing_date as entry_closing, e.chances_pct as entry_chances,
       q.lines as quote_lines, q.total as quote_total, cy.blocked as cycle_blocked,
       o.cycle_id, o.closed, o.salesperson_id
from opportunities o
join contacts ct on ct.id = o.contact_id
left join contacts co on co.id = o.contact_company_id
join salespeople sp on sp.id = o.salesperson_id
join sales_cycles cy on cy.id = o.cycle_id
left join opportunity_entries e on e.opportunity_id = o.id and e.active
left join lateral (
    select count(l.id) as lines,
           sum(round(l.quantity * l.unit_price * (100 - l.discount_pct) / 100, 2)) as total
    from quotes qq join quote_lines l on l.quote_id = qq.id where qq.opportunity_id = o.id
) q on true;
