//! The question pipeline (DESIGN.md §4): normalise → link → classify → plan → compile → answer.
//!
//! - [`normalize`]: NFC, the diacritics-free folded form, Vietnamese numbers;
//! - [`time`]: relative and explicit time expressions against the as-of date, task deadlines;
//! - [`link`]: provinces (names, aliases, old names), regions, offices, codes, amounts, top-N;
//! - [`classify`]: query, task command or refusal (injection, writes, data not held, scope);
//! - [`catalog`]: the attributes and values a question can name, as data, and the conditions
//!   they become on any base table;
//! - [`coverage`]: the parts of a question a compiled plan leaves out, named, never dropped;
//! - [`cues`]: cue words → the metrics, case sets and dimensions a question can mean;
//! - [`plan`]: the semantic layer — metrics, case sets, dimensions — and the plan → SQL compiler;
//! - [`free_sql`]: the free-SQL fallback's prompt (linked schema, values, retrieved examples);
//! - [`prompt`]: what the model sees and the grammar its plan line must follow;
//! - [`sql_grammar`]: the grammar of the free SQL the model writes when the plan cannot express a
//!   question (one `SELECT` over known names and linked values);
//! - [`task`]: task commands → drafts (assignee, action, deadline, linked records);
//! - [`answer`]: the templated Vietnamese sentence and the chart shape;
//! - [`score`]: execution accuracy exactly as `shared/eval/score.py` scores it;
//! - [`ask`]: one question end to end, with the model and the executor behind two traits.

pub mod answer;
pub mod ask;
pub mod catalog;
pub mod classify;
pub mod coverage;
pub mod cues;
pub mod free_sql;
pub mod link;
pub mod normalize;
pub mod plan;
pub mod prompt;
pub mod score;
pub mod sql_grammar;
pub mod task;
pub mod time;
