//! The application shell: document, navigation and routes. Every page but sign-in and first
//! run sits inside the signed-in shell (the server also redirects signed-out visitors).

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{A, Outlet, ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    auth::{
        CurrentUser, LoginPage, ProfilePage, WelcomePage,
        api::{SignOut, me},
    },
    home::HomePage,
    users::UsersPage,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::security::set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f3a5f"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: marks the page as hydrated (interactive) for tests.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/pipeline.css"/>
        <Title text="Pipeline"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("login") view=LoginPage/>
                <Route path=path!("welcome") view=WelcomePage/>
                <ParentRoute path=path!("") view=SignedInShell>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("board") view=crate::board::BoardPage/>
                    <Route path=path!("opportunities") view=crate::opportunities::OpportunitiesPage/>
                    <Route path=path!("opportunities/new") view=crate::opportunities::NewOpportunityPage/>
                    <Route path=path!("opportunities/statistics") view=crate::opportunities::statistics::StatisticsPage/>
                    <Route path=path!("opportunities/:id") view=crate::opportunities::OpportunityPage/>
                    <Route path=path!("tasks") view=crate::tasks::TasksPage/>
                    <Route path=path!("import") view=crate::import::ImportPage/>
                    <Route path=path!("contacts") view=crate::contacts::ContactsPage/>
                    <Route path=path!("contacts/new") view=crate::contacts::NewContactPage/>
                    <Route path=path!("contacts/:id") view=crate::contacts::ContactPage/>
                    <Route path=path!("dashboard") view=crate::dashboard::DashboardPage/>
                    <Route path=path!("setup") view=crate::setup::SetupHome/>
                    <Route path=path!("setup/cycles") view=crate::setup::CyclesPage/>
                    <Route path=path!("setup/cycles/:code") view=crate::setup::CyclePage/>
                    <Route path=path!("setup/close-codes") view=crate::setup::CloseCodesPage/>
                    <Route path=path!("setup/activities") view=crate::setup::ActivitiesPage/>
                    <Route path=path!("setup/salespeople") view=crate::people::SalespeoplePage/>
                    <Route path=path!("setup/teams") view=crate::people::TeamsPage/>
                    <Route path=path!("setup/users") view=UsersPage/>
                    <Route path=path!("setup/webhooks") view=crate::webhooks::WebhooksPage/>
                    <Route path=path!("profile") view=ProfilePage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The navigation entries, in the order a salesperson's day uses them; the last is admin-only.
const NAV: [(&str, &str); 6] = [
    ("/", "Home"),
    ("/board", "Board"),
    ("/opportunities", "Opportunities"),
    ("/tasks", "My tasks"),
    ("/contacts", "Contacts"),
    ("/dashboard", "Dashboard"),
];

/// Top bar, navigation and the page. The user is loaded once here and shared as context.
#[component]
fn SignedInShell() -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    let user = Resource::new_blocking(|| (), |_| me());
    let sign_out = ServerAction::<SignOut>::new();
    let me = Signal::derive(move || user.get().and_then(|r| r.ok()).flatten());
    provide_context(me);
    crate::live::provide_live();
    let close_menu = move |_| set_menu_open.set(false);

    view! {
        <div class="app" class:menu-open=menu_open>
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"P"</span>
                    <span>"Pipeline"</span>
                </a>
                <crate::live::LiveIndicator/>
                <button
                    class="menu-button"
                    type="button"
                    aria-controls="main-nav"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| set_menu_open.update(|open| *open = !*open)
                >
                    {move || if menu_open.get() { "Close menu" } else { "Menu" }}
                </button>
            </header>
            <nav id="main-nav" class="sidebar" aria-label="Main">
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| {
                            view! { <li><A href=href exact=true on:click=close_menu>{label}</A></li> }
                        })
                        .collect_view()}
                    <Suspense>
                        {move || me.get().filter(CurrentUser::is_admin).map(|_| view! {
                            <li><A href="/setup" on:click=close_menu>"Setup"</A></li>
                        })}
                    </Suspense>
                </ul>
                <Suspense>
                    {move || me.get().map(|u| view! {
                        <div class="user-box">
                            <A href="/profile" on:click=close_menu attr:class="user-name">
                                {u.display_name.clone()}
                                <span class="muted role">{u.role.label()}</span>
                            </A>
                            <ActionForm action=sign_out>
                                <button class="button secondary small" type="submit">"Sign out"</button>
                            </ActionForm>
                        </div>
                    })}
                </Suspense>
            </nav>
            <main class="content">
                <crate::ui::UrlError/>
                <Outlet/>
            </main>
        </div>
    }
}

/// The signed-in user, provided by the shell (None while loading or signed out).
pub fn use_me() -> Signal<Option<CurrentUser>> {
    use_context::<Signal<Option<CurrentUser>>>().unwrap_or_else(|| Signal::derive(|| None))
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · Pipeline"/>
        <main class="auth-page">
            <section class="card empty-state">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <p><a href="/">"Back to Home"</a></p>
            </section>
        </main>
    }
}
