//! Runs an optimised Polars plan on the calling thread, stopped at a deadline or by a
//! [`Cancel`].
//!
//! This is what `LazyFrame::collect` does for the in-memory engine (optimised IR → root sink →
//! `create_physical_plan` → `Executor::execute` with a fresh `ExecutionState`), with two
//! differences:
//! - the plan is the one the budget was checked on;
//! - a checkpoint is inserted above every operator (a pass-through map node): when an operator
//!   has produced its frame, the checkpoint looks at the deadline and the caller's [`Cancel`],
//!   and if either says stop it fails the query and sets Polars' own cancel token, which every
//!   operator checks before it starts (parallel branches stop there). Polars checks that token
//!   only when an operator starts, and the operators of a plan all start at once, top-down,
//!   before any of them has worked: without the checkpoints a running plan would never stop.
//!
//! An operator already running finishes first (the budget keeps each one short). The plan runs
//! on the calling thread inside `catch_unwind` (a panic of Polars on untrusted SQL is an error,
//! not a crash) — not with `LazyFrame::collect_concurrently`, which runs it as a detached task of
//! Polars' thread pool, where a panic aborts the process.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use polars::prelude::{DataFrame, PlSmallStr, PolarsError, PolarsResult, BUILD_STREAMING_EXECUTOR};
use polars_expr::state::ExecutionState;
use polars_mem_engine::create_physical_plan;
use polars_plan::plans::{DataFrameUdf, FunctionIR, IRPlan, IR};
use polars_plan::prelude::Node;

use super::cancel::Cancel;
use super::ExecError;

/// Why a query should stop, if it should.
#[derive(Debug, Clone)]
struct Stopper {
    deadline: Instant,
    cancel: Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Deadline,
    Cancelled,
}

impl Stopper {
    fn stop(&self) -> Option<Stop> {
        if self.cancel.is_cancelled() {
            Some(Stop::Cancelled)
        } else if Instant::now() >= self.deadline {
            Some(Stop::Deadline)
        } else {
            None
        }
    }
}

/// Executes `plan`, stopping it after `timeout` or when `cancel` is cancelled.
///
/// # Errors
/// [`ExecError`]: `Timeout`, `Cancelled`, or `Engine` (Polars' error or panic).
pub(crate) fn collect(
    mut plan: IRPlan,
    timeout: Duration,
    cancel: &Cancel,
) -> Result<DataFrame, ExecError> {
    let stopper = Stopper {
        deadline: Instant::now() + timeout,
        cancel: cancel.clone(),
    };
    let outcome = |stop: Stop| match stop {
        Stop::Deadline => ExecError::timeout(timeout),
        Stop::Cancelled => ExecError::cancelled(),
    };
    let mut state = ExecutionState::new();
    let token = state.cancel_token();
    let checkpoint = {
        let stopper = stopper.clone();
        move |df: DataFrame| -> PolarsResult<DataFrame> {
            if stopper.stop().is_some() {
                token.store(true);
                return Err(PolarsError::ComputeError("query interrupted".into()));
            }
            Ok(df)
        }
    };
    plan.ensure_root_node_is_sink();
    add_checkpoints(&mut plan, Arc::new(checkpoint));
    let IRPlan {
        lp_top,
        mut lp_arena,
        mut expr_arena,
    } = plan;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut executor = create_physical_plan(
            lp_top,
            &mut lp_arena,
            &mut expr_arena,
            BUILD_STREAMING_EXECUTOR,
        )?;
        if let Some(stop) = stopper.stop() {
            return Ok(Err(outcome(stop)));
        }
        executor.execute(&mut state).map(Ok)
    }));
    match (result, stopper.stop()) {
        (Ok(Ok(Ok(df))), _) => Ok(df),
        (Ok(Ok(Err(stopped))), _) => Err(stopped),
        (_, Some(stop)) => Err(outcome(stop)),
        (Ok(Err(e)), None) => Err(ExecError::engine(e.to_string())),
        (Err(_), None) => Err(ExecError::engine("Polars panicked on this query")),
    }
}

/// Puts a pass-through map node running `checkpoint` above every operator of `plan` (not above
/// frame scans, which do no work, nor above caches, which Polars plans by their parents).
fn add_checkpoints(plan: &mut IRPlan, checkpoint: Arc<dyn DataFrameUdf>) {
    let arena = &mut plan.lp_arena;
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![plan.lp_top];
    while let Some(node) = todo.pop() {
        if !seen.insert(node) {
            continue;
        }
        let inputs: Vec<Node> = arena.get(node).inputs().collect();
        todo.extend(inputs.iter().copied());
        let wrapped: Vec<Node> = inputs
            .iter()
            .map(|&input| match arena.get(input) {
                IR::DataFrameScan { .. } | IR::Cache { .. } => input,
                _ => arena.add(IR::MapFunction {
                    input,
                    function: FunctionIR::Opaque {
                        function: Arc::clone(&checkpoint),
                        schema: None,
                        predicate_pd: false,
                        projection_pd: false,
                        streamable: false,
                        fmt_str: PlSmallStr::from_static("checkpoint"),
                    },
                }),
            })
            .collect();
        for (slot, w) in arena.get_mut(node).inputs_mut().zip(wrapped) {
            *slot = w;
        }
    }
}
