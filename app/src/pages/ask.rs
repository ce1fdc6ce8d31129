//! `/hoi-dap`: the analyst console. Questions in Vietnamese, answered on the live data.
//!
//! Without JavaScript the page is a plain form (`GET /hoi-dap?q=…&prev=…`, edited SQL as
//! `&sql=…`) that the server answers while rendering (first paint complete). Once hydrated, a
//! question streams from `/api/ask` (an `EventSource`: stage → model tokens → running → the
//! answer), edited SQL re-runs through a server function, and the session's questions stay in
//! the page (click to re-ask; the next question is read as a follow-up of the last one until
//! "Bắt đầu chủ đề mới").

use crate::error::AppError;
use crate::pages::tasks::TaskDraftForm;
use crate::text::ask as t;
use crate::wire::ask::AskReply;
use crate::wire::resource;
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::use_query_map;

/// Answers a question on the server (the no-JavaScript path and the first paint).
#[server]
pub async fn ask_question(
    question: String,
    previous: Option<String>,
    tinh: Option<String>,
) -> Result<AskReply, AppError> {
    use crate::ssr::with_status;
    let caller = crate::console::caller(tinh).map_err(with_status)?;
    crate::console::asker()?
        .ask(caller, question, previous)
        .await
        .map_err(with_status)
}

/// Runs SQL the analyst edited, through the guard, in the session's scope.
///
/// `confirm` is `None` when the page calls this on a click (a POST, origin-checked). SQL that
/// arrived in the page's address (`?sql=…`) passes the address's `xac_nhan` token: without the
/// session's [`crate::console::run_token`] for that SQL nothing runs, and the answer asks for
/// a click instead.
#[server]
pub async fn run_edited_sql(
    sql: String,
    question: Option<String>,
    tinh: Option<String>,
    confirm: Option<String>,
) -> Result<AskReply, AppError> {
    use crate::ssr::with_status;
    let caller = crate::console::caller(tinh).map_err(with_status)?;
    if confirm.is_some_and(|c| c != crate::console::run_token(&caller.session, &sql)) {
        return Ok(AskReply {
            kind: "refuse".into(),
            question: question.unwrap_or_default(),
            answer: t::SQL_UNCONFIRMED.into(),
            reason: Some("unconfirmed".into()),
            sql: Some(sql),
            ..AskReply::default()
        });
    }
    crate::console::asker()?
        .run_sql(caller, sql, question)
        .await
        .map_err(with_status)
}

/// Where the SQL form posts without JavaScript: the server answers with this page's address
/// for the SQL and its confirmation token (SQL state changes and runs only by POST).
pub const RUN_ACTION: &str = "/hoi-dap/chay";
/// Where the SQL form's CSV button posts (the same fields: `sql`, `q`, `tinh`).
pub const CSV_ACTION: &str = "/api/ask/csv";

/// Percent-encodes a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The link that asks `q` without JavaScript.
fn ask_href(q: &str, prev: Option<&str>, tinh: Option<&str>) -> String {
    let mut href = format!("/hoi-dap?q={}", encode(q));
    if let Some(p) = prev.filter(|p| !p.is_empty()) {
        href.push_str(&format!("&prev={}", encode(p)));
    }
    if let Some(tinh) = tinh.filter(|t| !t.is_empty()) {
        href.push_str(&format!("&tinh={}", encode(tinh)));
    }
    href
}

/// What the streaming question is doing.
#[derive(Debug, Clone, Default, PartialEq)]
struct Live {
    /// The stage label while working; `None` when idle.
    stage: Option<String>,
    /// The plan text the model has written so far.
    tokens: String,
    /// The SQL being run.
    sql: Option<String>,
    /// An error message (connection lost, busy, …).
    error: Option<String>,
}

/// The signals the streaming handlers write.
#[derive(Clone, Copy)]
struct Sink {
    live: RwSignal<Live>,
    answer: RwSignal<Option<AskReply>>,
    /// Whether the page has asked or re-run anything itself (then the server-rendered answer
    /// is gone).
    replaced: RwSignal<bool>,
}

#[component]
pub fn AskPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| {
        query
            .with_untracked(|m| m.get(k))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let tinh = param("tinh");
    let first_q = param("q");
    let first_prev = param("prev");
    let first_sql = param("sql");
    // The server answers what the URL asks while rendering the page.
    let served = resource(
        move || {
            query.with(|m| {
                (
                    m.get("q").filter(|v| !v.trim().is_empty()),
                    m.get("prev").filter(|v| !v.trim().is_empty()),
                    m.get("sql").filter(|v| !v.trim().is_empty()),
                    m.get("tinh").filter(|v| !v.trim().is_empty()),
                    m.get("xac_nhan").unwrap_or_default(),
                )
            })
        },
        |(q, prev, sql, tinh, confirm)| async move {
            match (q, sql) {
                (q, Some(sql)) => run_edited_sql(sql, q, tinh, Some(confirm)).await.map(Some),
                (Some(q), None) => ask_question(q, prev, tinh).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    let sink = Sink {
        live: RwSignal::new(Live::default()),
        answer: RwSignal::new(None),
        replaced: RwSignal::new(false),
    };
    let question = RwSignal::new(first_q.clone().unwrap_or_default());
    let history = RwSignal::new(first_q.iter().cloned().collect::<Vec<String>>());
    // The question the next one follows up (the last asked), until a new topic.
    let context = RwSignal::new(first_q.clone().or(first_prev));
    let tinh_sv = StoredValue::new(tinh.clone());

    let ask = move |q: String| {
        let q = q.trim().to_owned();
        if q.is_empty() || sink.live.with_untracked(|l| l.stage.is_some()) {
            return;
        }
        let previous = context.get_untracked().filter(|p| *p != q);
        question.set(q.clone());
        history.update(|h| {
            h.retain(|x| *x != q);
            h.push(q.clone());
        });
        context.set(Some(q.clone()));
        sink.answer.set(None);
        sink.replaced.set(true);
        sink.live.set(Live {
            stage: Some(t::STAGE_UNDERSTANDING.to_owned()),
            ..Live::default()
        });
        stream::start(
            &q,
            previous.as_deref(),
            tinh_sv.get_value().as_deref(),
            sink,
        );
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ask(question.get_untracked());
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Vietnamese IMEs (Telex, VNI) compose with Enter too: never submit mid-composition.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != 229 {
            ev.prevent_default();
            ask(question.get_untracked());
        }
    };
    let tinh_for_links = tinh.clone();
    let examples = t::EXAMPLE_QUESTIONS
        .iter()
        .map(|q| {
            let href = ask_href(q, None, tinh_for_links.as_deref());
            view! {
                <li>
                    <a class="ask-example" href=href on:click=move |ev| {
                        ev.prevent_default();
                        context.set(None);
                        ask((*q).to_owned());
                    }>{*q}</a>
                </li>
            }
        })
        .collect_view();
    let tinh_hist = tinh.clone();
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <Stylesheet id="ask" href="/pkg/ask.css"/>
        <Title text=t::TITLE/>
        <main id="noi-dung" class="page ask-page">
            <header class="page-header">
                <p class="brand">{crate::text::APP_SHORT}</p>
                <h1>{t::HEADING}</h1>
                <p class="muted">{t::INTRO}</p>
            </header>
            <div class="ask-layout">
                <section class="ask-main">
                    <form class="ask-form" method="get" action="/hoi-dap" on:submit=on_submit>
                        <label for="ask-q">{t::QUESTION_LABEL}</label>
                        <textarea id="ask-q" name="q" rows="2" maxlength="500" required
                            placeholder=t::QUESTION_PLACEHOLDER aria-describedby="ask-hint"
                            prop:value=move || question.get()
                            on:input=move |ev| question.set(event_target_value(&ev))
                            on:keydown=on_keydown
                        >{first_q.clone().unwrap_or_default()}</textarea>
                        {move || context.get().map(|p| view! {
                            <input type="hidden" name="prev" value=p/>
                        })}
                        {tinh.clone().map(|tinh| view! { <input type="hidden" name="tinh" value=tinh/> })}
                        <div class="ask-form-row">
                            <p id="ask-hint" class="muted">{t::QUESTION_HINT}</p>
                            <button type="submit" class="ask-submit"
                                disabled=move || sink.live.with(|l| l.stage.is_some())>{t::ASK}</button>
                        </div>
                        {move || context.get().map(|p| view! {
                            <p class="ask-context muted">
                                {t::FOLLOW_UP} " «" {p} "» "
                                <button type="button" class="ask-link" on:click=move |_| context.set(None)>{t::NEW_TOPIC}</button>
                            </p>
                        })}
                    </form>
                    <div class="ask-progress" role="status" aria-live="polite">
                        {move || sink.live.with(|l| l.stage.clone()).map(|stage| view! {
                            <p class="ask-stage"><span class="ask-spinner" aria-hidden="true"></span>{stage}</p>
                        })}
                        {move || {
                            let tokens = sink.live.with(|l| l.tokens.clone());
                            (!tokens.is_empty()).then(|| view! {
                                <p class="ask-tokens"><span class="muted">{t::PLAN} ": "</span><code>{tokens}</code></p>
                            })
                        }}
                        {move || sink.live.with(|l| l.sql.clone()).filter(|_| sink.live.with(|l| l.stage.is_some())).map(|sql| view! {
                            <pre class="ask-running-sql"><code>{sql}</code></pre>
                        })}
                        {move || sink.live.with(|l| l.error.clone()).map(|e| view! {
                            <p class="ask-error" role="alert">{e}</p>
                        })}
                    </div>
                    <div aria-live="polite">
                        <Transition fallback=|| view! { <p>{crate::text::LOADING}</p> }>
                            {move || {
                                let served = served.get();
                                if let Some(reply) = sink.answer.get() {
                                    return view! { <AnswerView reply sink tinh=tinh_sv.get_value() first_sql=None/> }.into_any();
                                }
                                if sink.replaced.get() {
                                    return ().into_any();
                                }
                                match served {
                                    Some(Ok(Some(reply))) => view! {
                                        <AnswerView reply sink tinh=tinh_sv.get_value() first_sql=first_sql.clone()/>
                                    }.into_any(),
                                    Some(Err(e)) => view! { <p class="ask-error" role="alert">{e.to_string()}</p> }.into_any(),
                                    _ => ().into_any(),
                                }
                            }}
                        </Transition>
                    </div>
                </section>
                <aside class="ask-side">
                    <section aria-labelledby="ask-examples-title">
                        <h2 id="ask-examples-title">{t::EXAMPLES}</h2>
                        <ul class="ask-list">{examples}</ul>
                    </section>
                    <section aria-labelledby="ask-history-title">
                        <h2 id="ask-history-title">{t::HISTORY}</h2>
                        {move || {
                            let items = history.get();
                            if items.is_empty() {
                                return view! { <p class="muted">{t::HISTORY_EMPTY}</p> }.into_any();
                            }
                            let tinh = tinh_hist.clone();
                            view! {
                                <ol class="ask-list ask-history">
                                    {items.into_iter().rev().map(|q| {
                                        let href = ask_href(&q, None, tinh.as_deref());
                                        let again = q.clone();
                                        view! {
                                            <li><a href=href on:click=move |ev| {
                                                ev.prevent_default();
                                                context.set(None);
                                                ask(again.clone());
                                            }>{q}</a></li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                    </section>
                </aside>
            </div>
        </main>
    }
}

/// One answer: sentence, chart, table, SQL (editable), CSV link, as-of date and latency.
#[component]
fn AnswerView(
    reply: AskReply,
    sink: Sink,
    tinh: Option<String>,
    first_sql: Option<String>,
) -> impl IntoView {
    let refused = reply.refused();
    let sql_text = RwSignal::new(first_sql.or_else(|| reply.sql.clone()).unwrap_or_default());
    let question = reply.question.clone();
    let exportable = reply.sql.is_some() && !refused;
    let q_for_rerun = question.clone();
    let tinh_for_rerun = tinh.clone();
    let running = RwSignal::new(false);
    let on_rerun = move |ev: leptos::ev::SubmitEvent| {
        // The CSV button posts the same form to the export: the browser downloads it.
        if ev
            .submitter()
            .is_some_and(|b| b.get_attribute("formaction").as_deref() == Some(CSV_ACTION))
        {
            return;
        }
        ev.prevent_default();
        if running.get_untracked() {
            return;
        }
        running.set(true);
        let sql = sql_text.get_untracked();
        let q = Some(q_for_rerun.clone()).filter(|q| !q.is_empty());
        let tinh = tinh_for_rerun.clone();
        leptos::task::spawn_local(async move {
            let result = run_edited_sql(sql, q, tinh, None).await;
            running.set(false);
            match result {
                Ok(reply) => {
                    sink.live.set(Live::default());
                    sink.replaced.set(true);
                    sink.answer.set(Some(reply));
                }
                Err(e) => sink.live.set(Live {
                    error: Some(e.to_string()),
                    ..Live::default()
                }),
            }
        });
    };
    let as_of = reply
        .as_of
        .as_deref()
        .map(crate::text::format_date)
        .unwrap_or_default();
    let ms = crate::text::format_int(i64::try_from(reply.ms).unwrap_or(i64::MAX));
    let has_table = !reply.columns.is_empty();
    let n_rows = reply.rows.len();
    let big_number = (reply.chart.as_deref() == Some("number") && n_rows == 1)
        .then(|| {
            reply
                .rows
                .first()
                .and_then(|r| r.last())
                .map(|c| c.display())
        })
        .flatten();
    view! {
        <section class=if refused { "ask-answer ask-refused" } else { "ask-answer" } aria-labelledby="ask-answer-title">
            <h2 id="ask-answer-title">{if refused { t::CANNOT_ANSWER } else { t::ANSWER }}</h2>
            {(!reply.question.is_empty()).then(|| view! { <p class="ask-question muted">"«" {reply.question.clone()} "»"</p> })}
            {big_number.map(|n| view! { <p class="ask-big">{n}</p> })}
            <p class="ask-sentence">{reply.answer.clone()}</p>
            {refused.then(|| {
                let reason = reply.reason.clone();
                let suggestions = reply.suggestions.clone();
                view! {
                    {reason.map(|r| view! { <p class="muted">{t::REASON} ": " <code>{r}</code></p> })}
                    {(!suggestions.is_empty()).then(|| view! {
                        <p>{t::SUGGESTIONS}</p>
                        <ul>{suggestions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                    })}
                }
            })}
            {reply.draft.clone().map(|draft| view! { <TaskDraftForm draft/> })}
            {reply.task.clone().map(|task| view! {
                <details><summary>{t::TASK_DRAFT}</summary><pre class="ask-task">{task}</pre></details>
            })}
            {reply.chart_svg.clone().map(|svg| view! {
                <figure class="ask-chart" role="img" aria-label=reply.answer.clone() inner_html=svg></figure>
            })}
            {has_table.then(|| {
                let columns = reply.columns.clone();
                let rows = reply.rows.clone();
                view! {
                    <div class="ask-table-wrap">
                        <table class="ask-table">
                            <caption>{t::TABLE} " (" {crate::text::format_int(i64::try_from(n_rows).unwrap_or(0))} " " {t::ROWS} ")"</caption>
                            <thead><tr>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>{r.into_iter().map(|c| {
                                        let class = if c.is_number() { "num" } else { "" };
                                        view! { <td class=class>{c.display()}</td> }
                                    }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {(n_rows == 0).then(|| view! { <p class="muted">{t::NO_ROWS}</p> })}
                    </div>
                }
            })}
            {(reply.sql.is_some() || !refused).then(|| view! {
                <form class="ask-sql" method="post" action=RUN_ACTION on:submit=on_rerun>
                    <label for="ask-sql-text">{t::SQL}</label>
                    <textarea id="ask-sql-text" name="sql" rows="6" spellcheck="false" aria-describedby="ask-sql-hint"
                        prop:value=move || sql_text.get()
                        on:input=move |ev| sql_text.set(event_target_value(&ev))
                    >{sql_text.get_untracked()}</textarea>
                    {(!question.is_empty()).then(|| view! { <input type="hidden" name="q" value=question.clone()/> })}
                    {tinh.clone().map(|tinh| view! { <input type="hidden" name="tinh" value=tinh/> })}
                    <p id="ask-sql-hint" class="muted">{t::SQL_HINT}</p>
                    <div class="ask-form-row">
                        <button type="submit" class="ask-rerun" disabled=move || running.get()>{t::RERUN}</button>
                        {exportable.then(|| view! {
                            <button type="submit" class="ask-csv" formaction=CSV_ACTION formmethod="post">{t::CSV}</button>
                        })}
                    </div>
                </form>
            })}
            {reply.plan.clone().map(|p| view! { <p class="muted ask-plan">{t::PLAN} ": " <code>{p}</code></p> })}
            <p class="ask-meta muted">
                {t::AS_OF} " " {as_of} " · " {t::LATENCY} " " {ms} " " {t::MS}
            </p>
        </section>
    }
}

/// The streaming question over `EventSource` (in the browser only).
#[cfg(feature = "hydrate")]
mod stream {
    use super::{Live, Sink};
    use crate::text::ask as t;
    use crate::wire::ask::{AskReply, Stage};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    struct Open {
        source: EventSource,
        _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
        _error: Closure<dyn FnMut(Event)>,
    }

    thread_local! {
        static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    }

    fn close() {
        OPEN.with(|o| {
            if let Some(open) = o.borrow().as_ref() {
                open.source.close();
            }
        });
    }

    fn data(e: &MessageEvent) -> String {
        e.data().as_string().unwrap_or_default()
    }

    fn fail(sink: Sink, message: String) {
        sink.live.set(Live {
            error: Some(message),
            ..Live::default()
        });
    }

    /// Asks `question` and writes progress and the answer into `sink`.
    pub fn start(question: &str, previous: Option<&str>, tinh: Option<&str>, sink: Sink) {
        close();
        let mut url = format!("/api/ask?question={}", super::encode(question));
        if let Some(p) = previous {
            url.push_str(&format!("&previous={}", super::encode(p)));
        }
        if let Some(tinh) = tinh {
            url.push_str(&format!("&tinh={}", super::encode(tinh)));
        }
        let Ok(source) = EventSource::new(&url) else {
            fail(sink, t::ERR_CONNECTION.to_owned());
            return;
        };
        let stage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(s) = crate::wire::from_json::<Stage>(&data(&e)) {
                sink.live.update(|l| {
                    l.stage = Some(s.label);
                    if s.sql.is_some() {
                        l.sql = s.sql;
                    }
                });
            }
        });
        let token = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(s) = crate::wire::from_json::<String>(&data(&e)) {
                sink.live.update(|l| {
                    if l.tokens.is_empty() {
                        l.stage = Some(t::STAGE_GENERATING.to_owned());
                    }
                    l.tokens.push_str(&s);
                });
            }
        });
        let answer = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            close();
            match crate::wire::from_json::<AskReply>(&data(&e)) {
                Ok(reply) => {
                    sink.live.set(Live::default());
                    sink.answer.set(Some(reply));
                }
                Err(_) => fail(sink, crate::text::ERR_INTERNAL.to_owned()),
            }
        });
        // `error` is both the server's message event and the connection's failure.
        let error = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            close();
            let message = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| crate::wire::from_json::<String>(&data(m)).ok())
                .unwrap_or_else(|| t::ERR_CONNECTION.to_owned());
            fail(sink, message);
        });
        let _ = source.add_event_listener_with_callback("stage", stage.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("token", token.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("answer", answer.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("error", error.as_ref().unchecked_ref());
        OPEN.with(|o| {
            // The previous handlers are not running now (this runs from a click or submit).
            *o.borrow_mut() = Some(Open {
                source,
                _handlers: vec![stage, token, answer],
                _error: error,
            });
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod stream {
    use super::Sink;

    /// Server side: questions are answered while rendering; nothing streams.
    pub fn start(_question: &str, _previous: Option<&str>, _tinh: Option<&str>, _sink: Sink) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_vietnamese() {
        assert_eq!(encode("Hà Nội?"), "H%C3%A0%20N%E1%BB%99i%3F");
        assert_eq!(
            ask_href("a b", Some("c"), Some("01")),
            "/hoi-dap?q=a%20b&prev=c&tinh=01"
        );
    }
}
