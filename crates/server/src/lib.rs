//! The Emergency Access verification server: HTTP API, verification service, message dispatch,
//! and the admin commands behind the `ea-server` binary.

pub mod abuse;
pub mod actions;
pub mod admin;
pub mod admin_actions;
pub mod card_keys;
pub mod clock;
pub mod config;
pub mod demo;
pub mod directory;
pub mod dispatch;
pub mod enrolment;
pub mod error;
pub mod faults;
pub mod http;
pub mod input;
pub mod keys;
pub mod ldap;
pub mod lockout;
pub mod metrics;
pub mod relying;
pub mod retry;
pub mod rotate;
pub mod serve;
pub mod state;
pub mod subject;
pub mod sync;
pub mod token;
pub mod turns;
pub mod verification;
pub mod view;

pub use http::app;
pub use state::AppState;
