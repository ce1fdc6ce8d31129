//! Questions on the server: the language model on its inference thread, the pipeline of
//! `queries::nl`, and the guard + Polars executor over the live projection.
//!
//! [`Assistant`] is loaded once at startup (model optional: without it, questions answer
//! "model not loaded" and everything else works). [`Assistant::ask`] is synchronous and blocks
//! on the model: call it from a blocking thread, never on the async runtime.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use model::constrain::{self, Parse, PrefixGrammar, SlotVocab, Slots};
use model::{ChatTemplate, Engine, EngineOptions, GenRequest, WorkerHandle};
use queries::frames::Frames;
use queries::nl::ask::{
    self, Answer, FillError, PlanFiller, Progress, Route, RunError, Runner, Turn,
};
use queries::nl::prompt::{self, PlanGrammar};
use queries::nl::sql_grammar::{self, SqlGrammar, SqlState};
use queries::sql::{self, Cancel, ExecErrorKind, Limits, ResultTable};
use queries::Scope;

/// Longest plan line, in tokens (a plan is ~20 tokens; the grammar ends it).
const PLAN_TOKENS: usize = 48;
/// Longest free SQL, in tokens (the fallback's queries are one line; the grammar ends them).
const SQL_TOKENS: usize = 220;
/// Context window: the plan prefix (~3,300 tokens), a free-SQL turn (schema part, values and
/// examples, up to ~1,200 tokens) and its answer.
const CONTEXT_TOKENS: usize = 6144;
/// Questions waiting for the model besides the one running.
const QUEUE: usize = 8;

/// The loaded model, ready for plans.
pub struct Model {
    handle: WorkerHandle,
    vocab: Arc<SlotVocab>,
    /// The tokens free SQL can be made of.
    sql_vocab: Arc<SlotVocab>,
    chat: ChatTemplate,
    /// File name of the weights (for answers and logs).
    pub name: String,
    /// Seconds spent loading and prefilling the fixed prompt.
    pub load_s: f64,
}

impl Model {
    /// Loads the GGUF, prefills the fixed prompt prefix (instructions, semantic layer, examples)
    /// and starts the inference thread.
    ///
    /// # Errors
    /// The model crate's error (missing or corrupt file, …).
    pub fn load(path: &Path) -> Result<Model, model::Error> {
        let started = Instant::now();
        let options = EngineOptions {
            context: CONTEXT_TOKENS,
            ..EngineOptions::default()
        };
        let mut engine = Engine::load(path, options)?;
        let chat = engine.tokenizer().chat().clone();
        let vocab = Arc::new(SlotVocab::new(engine.tokenizer(), PlanGrammar::alphabet()));
        let sql_vocab = Arc::new(SlotVocab::new(engine.tokenizer(), sql_grammar::ALPHABET));
        let prefix = prompt::prefix(|role, content| chat.turn(role, content));
        let tokens = engine.set_prefix(&prefix)?;
        let (handle, _join) = model::Worker::spawn(engine, QUEUE)?;
        let load_s = started.elapsed().as_secs_f64();
        tracing::info!(prefix_tokens = tokens, load_s, "language model ready");
        Ok(Model {
            handle,
            vocab,
            sql_vocab,
            chat,
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            load_s,
        })
    }
}

/// The plan grammar as the model crate's [`Slots`].
struct Grammar(PlanGrammar);

impl Slots for Grammar {
    fn next(&self, filled: &[String]) -> Option<(String, Vec<String>)> {
        self.0.next(filled)
    }
}

/// The free-SQL grammar as the model crate's [`PrefixGrammar`].
struct SqlConstraint(SqlGrammar);

impl PrefixGrammar for SqlConstraint {
    type State = SqlState;
    fn start(&self) -> SqlState {
        self.0.start()
    }
    fn advance(&self, state: &SqlState, piece: &str) -> Option<SqlState> {
        self.0.advance(state, piece)
    }
    fn is_complete(&self, state: &SqlState) -> bool {
        self.0.is_complete(state)
    }
}

fn fill_error(e: model::Error) -> FillError {
    match e {
        model::Error::Busy => FillError::Busy,
        other => FillError::Failed(other.to_string()),
    }
}

/// The model (or its absence) as the pipeline's [`PlanFiller`]; once `cancel` is cancelled
/// (the asker went away) it asks the model nothing more.
struct Filler<'a> {
    model: Option<&'a Model>,
    cancel: &'a Cancel,
}

impl Filler<'_> {
    fn model(&self) -> Result<&Model, FillError> {
        if self.cancel.is_cancelled() {
            return Err(FillError::Failed("câu hỏi đã bị hủy".into()));
        }
        self.model.ok_or(FillError::NotLoaded)
    }
}

impl PlanFiller for Filler<'_> {
    fn fill(
        &mut self,
        user_turn: &str,
        grammar: &PlanGrammar,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Vec<String>, FillError> {
        let model = self.model()?;
        let mut req = GenRequest::new(model.chat.user_turn(user_turn), PLAN_TOKENS);
        req.allowed = Some(constrain::slots_constraint(
            Arc::clone(&model.vocab),
            Box::new(Grammar(grammar.clone())),
        ));
        let rx = model.handle.try_submit(req).map_err(fill_error)?;
        let generation = model::worker::collect(&rx, |t| on_token(t))
            .map_err(|e| FillError::Failed(e.to_string()))?;
        match constrain::parse(&Grammar(grammar.clone()), generation.text.trim_end()) {
            Parse::Complete(values) => Ok(values),
            _ => Err(FillError::Failed(format!(
                "kế hoạch chưa hoàn chỉnh: {}",
                generation.text
            ))),
        }
    }

    fn write_sql(
        &mut self,
        user_turn: &str,
        grammar: &SqlGrammar,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<String, FillError> {
        let model = self.model()?;
        let mut req = GenRequest::new(model.chat.user_turn(user_turn), SQL_TOKENS);
        req.allowed = Some(constrain::prefix_constraint(
            Arc::clone(&model.sql_vocab),
            SqlConstraint(grammar.clone()),
        ));
        let rx = model.handle.try_submit(req).map_err(fill_error)?;
        let generation = model::worker::collect(&rx, |t| on_token(t)).map_err(fill_error)?;
        let sql = generation.text.trim_end();
        if grammar.accepts(sql) {
            Ok(sql.to_owned())
        } else {
            Err(FillError::Failed(format!(
                "câu SQL chưa hoàn chỉnh sau {SQL_TOKENS} token: {sql}"
            )))
        }
    }
}

/// The guard and the Polars executor over one snapshot of the frames, in one scope, under a
/// budget, stopped by `cancel`.
pub struct FramesRunner<'a> {
    pub frames: &'a Frames,
    pub scope: &'a Scope,
    /// The budget of every query (its `max_rows` is replaced by each call's).
    pub budget: &'a Limits,
    pub cancel: &'a Cancel,
}

impl Runner for FramesRunner<'_> {
    fn run(&self, sql_text: &str, max_rows: usize) -> Result<(String, ResultTable), RunError> {
        let limits = Limits {
            max_rows,
            ..*self.budget
        };
        let guarded = sql::guard(sql_text, &limits)?;
        match sql::execute_cancellable(self.frames, self.scope, &guarded, &limits, self.cancel) {
            Ok(table) => Ok((guarded.sql.clone(), table)),
            Err(e) => {
                // The engine's own words go to the log (and the model's repair prompt), never
                // to the user.
                match e.kind {
                    ExecErrorKind::Cancelled => {
                        tracing::info!(sql = %guarded.sql, "query cancelled");
                    }
                    kind => tracing::warn!(
                        kind = kind.code(),
                        detail = %e.detail(),
                        sql = %guarded.sql,
                        "query not run to the end"
                    ),
                }
                Err(e.into())
            }
        }
    }
}

/// Questions, answered over frames the caller provides.
#[derive(Clone, Default)]
pub struct Assistant {
    model: Option<Arc<Model>>,
    /// The budget every query of a question runs under.
    budget: Limits,
    /// Plan without the model (best-ranked candidates): only for measuring the model's share.
    rules_only: bool,
    /// The paths that may answer (free SQL only: for measuring that path).
    route: Route,
}

impl Assistant {
    /// An assistant with `model`, or one that answers "model not loaded".
    pub fn new(model: Option<Model>) -> Self {
        Self {
            model: model.map(Arc::new),
            budget: Limits::default(),
            rules_only: false,
            route: Route::PlanThenSql,
        }
    }

    /// The same assistant with queries run under `budget`.
    #[must_use]
    pub fn with_budget(self, budget: Limits) -> Self {
        Self { budget, ..self }
    }

    /// An assistant whose model writes free SQL for every query (`ioc eval --planner sql`).
    pub fn sql_only(model: Option<Model>) -> Self {
        Self {
            route: Route::SqlOnly,
            ..Self::new(model)
        }
    }

    /// An assistant that plans without the model (`ioc eval --planner rules`).
    pub fn rules_only() -> Self {
        Self {
            model: None,
            budget: Limits::default(),
            rules_only: true,
            route: Route::PlanThenSql,
        }
    }

    /// Whether a model is loaded.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Answers one question; `progress` sees understanding → tokens → the SQL being run. Once
    /// `cancel` is cancelled, the query running stops and nothing more is tried.
    #[allow(clippy::too_many_arguments)]
    pub fn ask(
        &self,
        question: &str,
        previous: Option<&Turn>,
        scope: &Scope,
        as_of: NaiveDate,
        frames: &Frames,
        cancel: &Cancel,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Answer {
        let started = Instant::now();
        let mut model_filler = Filler {
            model: self.model.as_deref(),
            cancel,
        };
        let mut rules = ask::RulesFiller;
        let filler: &mut dyn PlanFiller = if self.rules_only {
            &mut rules
        } else {
            &mut model_filler
        };
        let runner = FramesRunner {
            frames,
            scope,
            budget: &self.budget,
            cancel,
        };
        let mut answer = ask::ask(
            question, previous, scope, as_of, self.route, filler, &runner, progress,
        );
        answer.ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        answer
    }

    /// Runs SQL an analyst edited, through the same guard, scope and budget.
    ///
    /// # Errors
    /// Why the guard refused it or the executor did not run it.
    pub fn run_sql(
        &self,
        sql_text: &str,
        scope: &Scope,
        frames: &Frames,
        cancel: &Cancel,
    ) -> Result<(String, ResultTable), RunError> {
        FramesRunner {
            frames,
            scope,
            budget: &self.budget,
            cancel,
        }
        .run(sql_text, ask::MAX_ANSWER_ROWS)
    }

    /// The budget its queries run under.
    pub fn budget(&self) -> &Limits {
        &self.budget
    }
}
