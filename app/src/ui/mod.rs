//! Shared widgets: form messages and page-level states.

use leptos::prelude::*;

use crate::error::AppError;

/// The last error of a server action, if any.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r: Result<O, AppError>| r.err())
    })
}

/// The message for one field, shown under it and announced to screen readers.
#[component]
pub fn FieldMessage(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl IntoView {
    let id = format!("{field}-error");
    move || {
        error.get().and_then(|e| e.message_for(field)).map(|msg| {
            view! { <p class="field-error" id=id.clone() role="alert">{msg}</p> }
        })
    }
}

/// An error that is not about one field (or a whole-form one), shown above the buttons.
#[component]
pub fn FormMessage(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| match &e {
                AppError::Validation(fields) => fields.get("form").cloned(),
                other => Some(other.to_string()),
            })
            .map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })
    }
}

/// Whether a field has an error, for `aria-invalid`.
pub fn invalid(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Copy {
    move || {
        if error.get().and_then(|e| e.message_for(field)).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

/// Shown instead of a page a user may not open.
#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <section class="card empty-state">
            <h1>"No access"</h1>
            <p>"Your role does not allow this page. Ask an admin if you need it."</p>
            <p><a href="/">"Back to Home"</a></p>
        </section>
    }
}

/// Counts the action's successful completions: key a resource on this (not on `version()`) so
/// a refused form is not re-rendered, and the user keeps what they typed next to the messages.
pub fn successes<I, O>(action: ServerAction<I>) -> Signal<usize>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let count = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            count.update(|c| *c += 1);
        }
    });
    count.into()
}

/// The message of a form that was posted before the app hydrated (carried in `?error=`).
#[component]
pub fn UrlError() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        query
            .read()
            .get("error")
            .map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })
    }
}

/// A column heading that sorts the list by its column: `sorted` is `None` when the list is sorted
/// by another column, else whether it is descending. `href` is the list sorted by this column.
pub fn sort_header(label: &'static str, sorted: Option<bool>, href: String) -> impl IntoView {
    let (aria_sort, arrow) = match sorted {
        None => ("none", ""),
        Some(false) => ("ascending", " ↑"),
        Some(true) => ("descending", " ↓"),
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <a class="sort-link" href=href>{label}<span aria-hidden="true">{arrow}</span></a>
        </th>
    }
}

/// Previous and Next links around the position in a paged list (disabled at either end).
pub fn pager(previous: Option<String>, next: Option<String>, range: String) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {match previous {
                Some(href) => view! { <a class="button secondary" href=href rel="prev">"Previous"</a> }.into_any(),
                None => view! { <span class="button secondary" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            <span class="pager-range">{range}</span>
            {match next {
                Some(href) => view! { <a class="button secondary" href=href rel="next">"Next"</a> }.into_any(),
                None => view! { <span class="button secondary" aria-disabled="true">"Next"</span> }.into_any(),
            }}
        </nav>
    }
}
