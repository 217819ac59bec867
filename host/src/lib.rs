//! # bbb-migrate (host)
//!
//! The `bbb-migrate` binary: reads a pipeline file ([`config`]), loads the
//! plugins it names ([`plugins`]), runs the pipeline with a journal
//! ([`engine`]), and reports. See the workspace README for the user's view
//! and `plugin-api` for the contract with plugins.

pub mod cli;
pub mod config;
pub mod engine;
pub mod html;
pub mod init;
pub mod lifecycle;
pub mod logging;
pub mod plugins;
pub mod progress;
pub mod redact;
pub mod report_html;
pub mod survey;
