//! Setup operations: validate with the domain rules, write in one transaction, and turn
//! constraint clashes into messages an admin understands. Callers have checked the admin role.

use sqlx::PgPool;

use super::{ActivityRow, CloseCodeRow, CycleDetail, CycleRow, StageRow, StageStatistics, StepRow};
use crate::{
    domain::{entries::Outcome, setup as rules},
    error::{AppError, FieldErrors},
};

/// Maps a database error on a named constraint to a field message; anything else is internal.
fn clash(e: sqlx::Error, map: &[(&str, &str, &str)]) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        for (constraint, field, message) in map {
            if db.constraint() == Some(constraint) {
                return AppError::field(field, *message);
            }
        }
    }
    e.into()
}

/// An update or delete refused because something still refers to the row (SQLSTATE 23503).
fn in_use(e: sqlx::Error, message: &str) -> AppError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => {
            AppError::Conflict(message.into())
        }
        _ => e.into(),
    }
}

/// A change that touched no row: the record does not exist (any more).
fn found(done: sqlx::postgres::PgQueryResult) -> Result<(), AppError> {
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

fn method(code: &str) -> crate::domain::entries::ProbabilityMethod {
    // The column's CHECK allows only known methods.
    rules::parse_method(code).unwrap_or_default()
}

pub async fn cycles(pool: &PgPool) -> Result<Vec<CycleRow>, AppError> {
    // Figures of open opportunities only (DOMAIN.md "Sales cycle").
    let rows = sqlx::query!(
        r#"select c.code, c.description, c.probability_method, c.blocked,
                  (select count(*) from sales_cycle_stages s where s.cycle_id = c.id) as "stages!",
                  count(o.id) as "open_count!",
                  coalesce(sum(o.estimated_value), 0) as "estimated!",
                  coalesce(sum(o.calculated_value), 0) as "calculated!"
           from sales_cycles c
           left join opportunities o on o.cycle_id = c.id and not o.closed
           group by c.id order by c.code"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CycleRow {
            code: r.code,
            description: r.description,
            method: method(&r.probability_method),
            blocked: r.blocked,
            stages: r.stages,
            open_count: r.open_count,
            estimated_value: r.estimated,
            calculated_value: r.calculated,
        })
        .collect())
}

pub async fn create_cycle(
    pool: &PgPool,
    code: &str,
    description: &str,
    method: &str,
) -> Result<String, AppError> {
    let mut errors = FieldErrors::default();
    let code = rules::code(code).map_err(|m| errors.add("code", m)).ok();
    let description = rules::description(description, false)
        .map_err(|m| errors.add("description", m))
        .ok();
    let method = rules::parse_method(method);
    errors.check(
        method.is_some(),
        "method",
        "Choose how probability is calculated.",
    );
    errors.finish()?;
    let (code, description, method) = (
        code.unwrap_or_default(),
        description.unwrap_or_default(),
        method.unwrap_or_default(),
    );
    sqlx::query!(
        "insert into sales_cycles (code, description, probability_method) values ($1, $2, $3)",
        code,
        description,
        rules::method_code(method)
    )
    .execute(pool)
    .await
    .map_err(|e| {
        clash(
            e,
            &[(
                "sales_cycles_code_key",
                "code",
                "A sales cycle with this code already exists.",
            )],
        )
    })?;
    Ok(code)
}

pub async fn cycle(pool: &PgPool, code: &str) -> Result<CycleDetail, AppError> {
    let c = sqlx::query!(
        "select id, code, description, probability_method, blocked, version from sales_cycles where code = $1",
        code.trim().to_uppercase()
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let stages = sqlx::query!(
        r#"select s.id, s.stage, s.description, s.completed_pct, s.chances_pct, s.activity_id,
                  a.code as "activity_code?", s.quote_required, s.allow_skip, s.date_formula, s.comment,
                  (select count(*) from opportunities o where o.current_stage_id = s.id and not o.closed) as "open_count!",
                  (select coalesce(sum(o.estimated_value), 0) from opportunities o
                   where o.current_stage_id = s.id and not o.closed) as "estimated!",
                  (select coalesce(sum(o.calculated_value), 0) from opportunities o
                   where o.current_stage_id = s.id and not o.closed) as "calculated!",
                  (select round(avg(e.days_open), 1) from opportunity_entries e
                   where e.stage_id = s.id and not e.active) as "average_days?"
           from sales_cycle_stages s left join activities a on a.id = s.activity_id
           where s.cycle_id = $1 order by s.stage"#,
        c.id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| StageRow {
        id: s.id,
        stage: s.stage,
        description: s.description,
        completed: s.completed_pct,
        chances: s.chances_pct,
        activity_id: s.activity_id,
        activity_code: s.activity_code,
        quote_required: s.quote_required,
        allow_skip: s.allow_skip,
        date_formula: s.date_formula,
        comment: s.comment,
        statistics: StageStatistics {
            open_count: s.open_count,
            estimated_value: s.estimated,
            calculated_value: s.calculated,
            average_days: s.average_days,
        },
    })
    .collect();
    let activities = sqlx::query!("select id, code, description from activities order by code")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|a| (a.id, format!("{} – {}", a.code, a.description)))
        .collect();
    Ok(CycleDetail {
        code: c.code,
        description: c.description,
        method: method(&c.probability_method),
        blocked: c.blocked,
        version: c.version,
        stages,
        activities,
    })
}

pub async fn update_cycle(
    pool: &PgPool,
    code: &str,
    description: &str,
    method: &str,
    blocked: bool,
    version: i32,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let description = rules::description(description, false)
        .map_err(|m| errors.add("description", m))
        .ok();
    let method = rules::parse_method(method);
    errors.check(
        method.is_some(),
        "method",
        "Choose how probability is calculated.",
    );
    errors.finish()?;
    let updated = sqlx::query!(
        "update sales_cycles set description = $2, probability_method = $3, blocked = $4, version = version + 1
         where code = $1 and version = $5",
        code,
        description.unwrap_or_default(),
        rules::method_code(method.unwrap_or_default()),
        blocked,
        version
    )
    .execute(pool)
    .await?;
    if updated.rows_affected() == 0 {
        let exists = sqlx::query_scalar!(
            "select exists (select 1 from sales_cycles where code = $1) as \"e!\"",
            code
        )
        .fetch_one(pool)
        .await?;
        return Err(if exists {
            AppError::Conflict(
                "This sales cycle was changed by someone else. Reload to see the latest version."
                    .into(),
            )
        } else {
            AppError::NotFound
        });
    }
    Ok(())
}

pub async fn delete_cycle(pool: &PgPool, code: &str) -> Result<(), AppError> {
    found(sqlx::query!("delete from sales_cycles where code = $1", code)
        .execute(pool)
        .await
        .map_err(|e| in_use(e, "Opportunities use this sales cycle, so it cannot be deleted. Block it instead."))?)
}

/// A stage form as typed; validated by `save_stage`.
pub struct StageInput {
    pub stage: String,
    pub description: String,
    pub completed: String,
    pub chances: String,
    pub activity_id: Option<String>,
    pub quote_required: bool,
    pub allow_skip: bool,
    pub date_formula: String,
    pub comment: String,
}

/// Adds a stage (`id` None) or changes one, in the cycle with this code.
pub async fn save_stage(
    pool: &PgPool,
    cycle_code: &str,
    id: Option<i64>,
    input: StageInput,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let stage = rules::stage_number(&input.stage)
        .map_err(|m| errors.add("stage", m))
        .ok();
    let description = rules::description(&input.description, true)
        .map_err(|m| errors.add("description", m))
        .ok();
    let completed = rules::percent(&input.completed)
        .map_err(|m| errors.add("completed", m))
        .ok();
    let chances = rules::percent(&input.chances)
        .map_err(|m| errors.add("chances", m))
        .ok();
    let formula = rules::date_formula(&input.date_formula)
        .map_err(|m| errors.add("date_formula", m))
        .ok();
    let activity_id = match input.activity_id.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => {
            errors.add("activity_id", "Choose an activity.");
            None
        }
    };
    errors.check(
        input.comment.chars().count() <= 500,
        "comment",
        "Use at most 500 characters.",
    );
    errors.finish()?;
    let (stage, description, completed, chances, formula) = (
        stage.unwrap_or_default(),
        description.unwrap_or_default(),
        completed.unwrap_or_default(),
        chances.unwrap_or_default(),
        formula.unwrap_or_default(),
    );
    let cycle_id = sqlx::query_scalar!("select id from sales_cycles where code = $1", cycle_code)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let map: &[(&str, &str, &str)] = &[
        (
            "sales_cycle_stages_number_key",
            "stage",
            "This cycle already has a stage with this number.",
        ),
        (
            "sales_cycle_stages_activity_id_fkey",
            "activity_id",
            "This activity does not exist.",
        ),
    ];
    let result = match id {
        None => sqlx::query!(
            "insert into sales_cycle_stages (cycle_id, stage, description, completed_pct, chances_pct, activity_id,
                                             quote_required, allow_skip, date_formula, comment)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            cycle_id,
            stage,
            description,
            completed,
            chances,
            activity_id,
            input.quote_required,
            input.allow_skip,
            formula,
            input.comment.trim()
        )
        .execute(pool)
        .await,
        Some(id) => sqlx::query!(
            "update sales_cycle_stages set stage = $3, description = $4, completed_pct = $5, chances_pct = $6,
                    activity_id = $7, quote_required = $8, allow_skip = $9, date_formula = $10, comment = $11
             where id = $1 and cycle_id = $2",
            id,
            cycle_id,
            stage,
            description,
            completed,
            chances,
            activity_id,
            input.quote_required,
            input.allow_skip,
            formula,
            input.comment.trim()
        )
        .execute(pool)
        .await,
    };
    found(result.map_err(|e| clash(e, map))?)
}

/// Swaps the stage's number with its neighbour's (up = the next lower number). Entries point at
/// stages by id, so they follow their stage wherever it moves.
pub async fn move_stage(pool: &PgPool, id: i64, up: bool) -> Result<(), AppError> {
    let mut tx = crate::state::begin(pool).await?;
    sqlx::query!("set constraints sales_cycle_stages_number_key deferred")
        .execute(&mut *tx)
        .await?;
    let me = sqlx::query!(
        "select cycle_id, stage from sales_cycle_stages where id = $1 for update",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let neighbour = sqlx::query!(
        "select id, stage from sales_cycle_stages
         where cycle_id = $1 and (case when $3 then stage < $2 else stage > $2 end)
         order by case when $3 then -stage else stage end limit 1 for update",
        me.cycle_id,
        me.stage,
        up
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(n) = neighbour else {
        return Err(AppError::Conflict(
            if up {
                "This is already the first stage."
            } else {
                "This is already the last stage."
            }
            .into(),
        ));
    };
    sqlx::query!(
        "update sales_cycle_stages set stage = $2 where id = $1",
        id,
        n.stage
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update sales_cycle_stages set stage = $2 where id = $1",
        n.id,
        me.stage
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_stage(pool: &PgPool, id: i64) -> Result<(), AppError> {
    found(sqlx::query!("delete from sales_cycle_stages where id = $1", id)
        .execute(pool)
        .await
        .map_err(|e| in_use(e, "Opportunities have been at this stage, so it cannot be deleted. Block the cycle instead."))?)
}

pub async fn close_codes(pool: &PgPool) -> Result<Vec<CloseCodeRow>, AppError> {
    Ok(sqlx::query!(
        "select id, code, description, outcome from close_codes order by outcome desc, code"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| CloseCodeRow {
        id: r.id,
        code: r.code,
        description: r.description,
        outcome: if r.outcome == "won" {
            Outcome::Won
        } else {
            Outcome::Lost
        },
    })
    .collect())
}

pub async fn create_close_code(
    pool: &PgPool,
    code: &str,
    description: &str,
    outcome: &str,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let code = rules::code(code).map_err(|m| errors.add("code", m)).ok();
    let description = rules::description(description, false)
        .map_err(|m| errors.add("description", m))
        .ok();
    errors.check(
        matches!(outcome, "won" | "lost"),
        "outcome",
        "Choose Won or Lost.",
    );
    errors.finish()?;
    sqlx::query!(
        "insert into close_codes (code, description, outcome) values ($1, $2, $3)",
        code.unwrap_or_default(),
        description.unwrap_or_default(),
        outcome
    )
    .execute(pool)
    .await
    .map_err(|e| {
        clash(
            e,
            &[(
                "close_codes_code_key",
                "code",
                "A close code with this code already exists.",
            )],
        )
    })?;
    Ok(())
}

pub async fn delete_close_code(pool: &PgPool, id: i64) -> Result<(), AppError> {
    found(
        sqlx::query!("delete from close_codes where id = $1", id)
            .execute(pool)
            .await
            .map_err(|e| {
                in_use(
                    e,
                    "Closed opportunities use this close code, so it cannot be deleted.",
                )
            })?,
    )
}

pub async fn activities(pool: &PgPool) -> Result<Vec<ActivityRow>, AppError> {
    let activities = sqlx::query!(
        r#"select a.id, a.code, a.description,
                  (select count(*) from sales_cycle_stages s where s.activity_id = a.id) as "used_by!"
           from activities a order by a.code"#
    )
    .fetch_all(pool)
    .await?;
    let steps = sqlx::query!(
        "select id, activity_id, position, kind, description, priority, date_formula
         from activity_steps order by activity_id, position"
    )
    .fetch_all(pool)
    .await?;
    Ok(activities
        .into_iter()
        .map(|a| ActivityRow {
            steps: steps
                .iter()
                .filter(|s| s.activity_id == a.id)
                .map(|s| StepRow {
                    id: s.id,
                    position: s.position,
                    kind: s.kind.clone(),
                    description: s.description.clone(),
                    priority: s.priority.clone(),
                    date_formula: s.date_formula.clone(),
                })
                .collect(),
            id: a.id,
            code: a.code,
            description: a.description,
            used_by: a.used_by,
        })
        .collect())
}

pub async fn create_activity(pool: &PgPool, code: &str, description: &str) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let code = rules::code(code).map_err(|m| errors.add("code", m)).ok();
    let description = rules::description(description, false)
        .map_err(|m| errors.add("description", m))
        .ok();
    errors.finish()?;
    sqlx::query!(
        "insert into activities (code, description) values ($1, $2)",
        code.unwrap_or_default(),
        description.unwrap_or_default()
    )
    .execute(pool)
    .await
    .map_err(|e| {
        clash(
            e,
            &[(
                "activities_code_key",
                "code",
                "An activity with this code already exists.",
            )],
        )
    })?;
    Ok(())
}

pub async fn delete_activity(pool: &PgPool, id: i64) -> Result<(), AppError> {
    found(
        sqlx::query!("delete from activities where id = $1", id)
            .execute(pool)
            .await
            .map_err(|e| {
                in_use(
                    e,
                    "A sales cycle stage uses this activity. Remove it from the stage first.",
                )
            })?,
    )
}

pub async fn add_step(
    pool: &PgPool,
    activity_id: i64,
    kind: &str,
    description: &str,
    priority: &str,
    date_formula: &str,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    errors.check(
        matches!(kind, "task" | "meeting" | "phone_call"),
        "kind",
        "Choose task, meeting or phone call.",
    );
    let description = rules::description(description, true)
        .map_err(|m| errors.add("description", m))
        .ok();
    errors.check(
        matches!(priority, "low" | "normal" | "high"),
        "priority",
        "Choose a priority.",
    );
    let formula = rules::date_formula(date_formula)
        .map_err(|m| errors.add("date_formula", m))
        .ok();
    errors.finish()?;
    let mut tx = crate::state::begin(pool).await?;
    // Lock the activity so two steps added at once get different positions.
    sqlx::query_scalar!(
        "select id from activities where id = $1 for update",
        activity_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    sqlx::query!(
        "insert into activity_steps (activity_id, position, kind, description, priority, date_formula)
         values ($1, (select coalesce(max(position), 0) + 1 from activity_steps where activity_id = $1), $2, $3, $4, $5)",
        activity_id,
        kind,
        description.unwrap_or_default(),
        priority,
        formula.unwrap_or_default()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_step(pool: &PgPool, id: i64) -> Result<(), AppError> {
    found(
        sqlx::query!("delete from activity_steps where id = $1", id)
            .execute(pool)
            .await?,
    )
}
