//! The conformance suite for every backend in this workspace:
//! `<backend>::<database>::<case>`, one test each.

mod diesel_harness;
mod seaorm_harness;
mod sqlx_harness;

fn main() {
    alchemy_conformance::runner::main_with(|env| {
        let mut trials = Vec::new();
        trials.extend(sqlx_harness::trials(env));
        trials.extend(diesel_harness::trials(env));
        trials.extend(seaorm_harness::trials(env));
        trials
    })
}
