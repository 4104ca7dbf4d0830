-- The order of cards within a board column (app::domain::rank): a string that sorts bytewise.
-- New opportunities go to the end of their column: the default is the creation time in
-- microseconds as 14 hex digits, plus a '1' so that no rank ends in '0' (see rank.rs).
alter table opportunities
    add column board_rank text collate "C" not null
        default lpad(to_hex((extract(epoch from clock_timestamp()) * 1000000)::bigint), 14, '0') || '1'
        check (board_rank ~ '^[0-9a-z]{0,63}[1-9a-z]$');

-- A column of the board: the open opportunities of one stage of one cycle, in rank order.
create index opportunities_board on opportunities (cycle_id, current_stage_id, board_rank, id) where not closed;
