//! My tasks: the tasks the stages' activities created, overdue first. Completing, reopening and
//! cancelling goes through the same `tasks/set-status` server function as on the opportunity card.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    opportunities::{TaskRow, api::SetTaskStatus, task_item},
    ui::{FormMessage, action_error, successes},
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTask {
    pub task: TaskRow,
    pub opportunity_id: Option<i64>,
    pub opportunity: Option<String>,
    pub contact: Option<String>,
    pub salesperson: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTasks {
    pub tasks: Vec<MyTask>,
    pub today: NaiveDate,
    /// Whether the list is the viewer's own tasks (else: everything they can see).
    pub own: bool,
}

#[cfg(feature = "ssr")]
pub mod ops {
    use chrono::NaiveDate;
    use sqlx::PgPool;

    use super::{MyTask, MyTasks};
    use crate::{
        auth::access::Viewer,
        error::AppError,
        opportunities::{Priority, TaskRow},
    };

    /// Open tasks (overdue first, then by due date), followed by the last 50 finished ones. A
    /// viewer with a salesperson record sees their own unless they ask for everything in reach.
    pub async fn list(
        pool: &PgPool,
        viewer: &Viewer,
        everyone: bool,
        today: NaiveDate,
    ) -> Result<MyTasks, AppError> {
        let own = viewer.user.salesperson_id.filter(|_| !everyone);
        let rows = sqlx::query!(
            r#"(select t.id, t.kind, t.description, t.priority, t.due_date as "due_date: chrono::NaiveDate", t.status, t.version, t.opportunity_id,
                      o.no || ' ' || o.description as "opportunity?", c.name as "contact?", s.name as salesperson
               from tasks t
               join salespeople s on s.id = t.salesperson_id
               left join opportunities o on o.id = t.opportunity_id
               left join contacts c on c.id = t.contact_id
               where t.status = 'open' and ($1::bigint[] is null or t.salesperson_id = any($1))
                 and ($2::bigint is null or t.salesperson_id = $2)
               order by t.due_date, t.id
               limit 500)
              union all
              (select t.id, t.kind, t.description, t.priority, t.due_date, t.status, t.version, t.opportunity_id,
                      o.no || ' ' || o.description, c.name, s.name
               from tasks t
               join salespeople s on s.id = t.salesperson_id
               left join opportunities o on o.id = t.opportunity_id
               left join contacts c on c.id = t.contact_id
               where t.status <> 'open' and ($1::bigint[] is null or t.salesperson_id = any($1))
                 and ($2::bigint is null or t.salesperson_id = $2)
               order by t.updated_at desc, t.id desc
               limit 50)"#,
            viewer.read.ids(),
            own,
        )
        .fetch_all(pool)
        .await?;
        let tasks = rows
            .into_iter()
            .map(|r| MyTask {
                task: TaskRow {
                    id: r.id.unwrap_or_default(),
                    kind: r.kind.unwrap_or_default(),
                    description: r.description.unwrap_or_default(),
                    priority: Priority::from_db(r.priority.as_deref().unwrap_or_default()),
                    due_date: r.due_date.unwrap_or(today),
                    status: r.status.unwrap_or_default(),
                    version: r.version.unwrap_or(1),
                },
                opportunity_id: r.opportunity_id,
                opportunity: r.opportunity,
                contact: r.contact,
                salesperson: r.salesperson.unwrap_or_default(),
            })
            .collect();
        Ok(MyTasks {
            tasks,
            today,
            own: own.is_some(),
        })
    }
}

#[server(endpoint = "tasks/list")]
pub async fn list_tasks(everyone: Option<String>) -> Result<MyTasks, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let everyone = matches!(everyone.as_deref(), Some("1" | "true" | "on"));
    let today = crate::opportunities::api::read::today();
    ops::list(&crate::state::pool()?, &viewer, everyone, today)
        .await
        .map_err(AppError::respond)
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let query = use_query_map();
    let everyone = Memo::new(move |_| query.with(|q| q.get("all").is_some_and(|v| v == "1")));
    let set_status = ServerAction::<SetTaskStatus>::new();
    let error = action_error(set_status);
    let done = successes(set_status);
    let tasks = Resource::new(
        move || (everyone.get(), done.get()),
        |(everyone, _)| list_tasks(everyone.then(|| "1".to_owned())),
    );
    view! {
        <Title text="My tasks · Pipeline"/>
        <div class="page-head">
            <h1>"My tasks"</h1>
            {move || if everyone.get() {
                view! { <a href="/tasks">"Show only mine"</a> }.into_any()
            } else {
                view! { <a href="/tasks?all=1">"Show everything I can see"</a> }.into_any()
            }}
        </div>
        <FormMessage error=error/>
        <Transition fallback=|| view! { <p class="muted">"Loading tasks…"</p> }>
            {move || tasks.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) => task_list(list, set_status),
            })}
        </Transition>
    }
}

fn task_list(list: MyTasks, set_status: ServerAction<SetTaskStatus>) -> AnyView {
    if list.tasks.is_empty() {
        return view! {
            <section class="card empty-state" role="status">
                <p>"No tasks. Stages with an activity create tasks when an opportunity enters them."</p>
            </section>
        }
        .into_any();
    }
    let today = list.today;
    let overdue = list
        .tasks
        .iter()
        .filter(|t| t.task.status == "open" && t.task.due_date < today)
        .count();
    let open = list
        .tasks
        .iter()
        .filter(|t| t.task.status == "open")
        .count();
    // Overdue first, then the rest of the open ones, then the finished ones (the query's order).
    let mut tasks = list.tasks;
    tasks.sort_by_key(
        |t| match (t.task.status.as_str(), t.task.due_date < today) {
            ("open", true) => 0,
            ("open", false) => 1,
            _ => 2,
        },
    );
    let show_owner = !list.own;
    let items = tasks
        .into_iter()
        .map(|t| {
            let context = match (t.opportunity_id, t.opportunity) {
                (Some(id), Some(label)) => {
                    view! { <a href=format!("/opportunities/{id}")>{label}</a> }.into_any()
                }
                _ => ().into_any(),
            };
            let contact = t.contact.map(|c| view! { <span class="muted">{c}</span> });
            let owner =
                show_owner.then(|| view! { <span class="muted">{t.salesperson.clone()}</span> });
            let context = view! { {context}" "{contact}" "{owner} }.into_any();
            task_item(t.task, today, set_status, Some(context))
        })
        .collect_view();
    view! {
        <p class="list-summary muted" role="status">{format!("{open} open, {overdue} overdue")}</p>
        <ul class="task-list card">{items}</ul>
    }
    .into_any()
}
