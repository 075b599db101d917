//! Progress on stderr for long reads and probes: a spinner with a count, or a bar when the total
//! is known, shown only when stderr is a terminal (never in pipes, logs or CI).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Where a progress line's fixed label goes.
enum Label {
    Message(&'static str),
    Prefix(&'static str),
}

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// On a terminal only: `bar` drawn with `template`, labelled (`{msg}`, or `{prefix}` where
    /// the message changes), ticking steadily.
    fn on_terminal(bar: impl FnOnce() -> ProgressBar, template: &str, label: Label) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = bar();
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            match label {
                Label::Message(label) => bar.set_message(label),
                Label::Prefix(label) => bar.set_prefix(label),
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    /// A spinner counting objects read.
    pub(crate) fn new(label: &'static str) -> Progress {
        let template = "{spinner} {msg}: {human_pos} objects ({per_sec})";
        Progress::on_terminal(ProgressBar::new_spinner, template, Label::Message(label))
    }

    /// A bar for `total` steps known in advance (e.g. one KDC request per account).
    pub(crate) fn bar(label: &'static str, total: usize) -> Progress {
        let template = "{msg} [{bar:30}] {human_pos}/{human_len} ({eta})";
        let bar = || ProgressBar::new(total as u64);
        Progress::on_terminal(bar, template, Label::Message(label))
    }

    pub(crate) fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// A spinner with a changing message (e.g. what a wait is waiting for).
    pub(crate) fn status(label: &'static str) -> Progress {
        let template = "{spinner} {prefix}: {msg} ({elapsed})";
        Progress::on_terminal(ProgressBar::new_spinner, template, Label::Prefix(label))
    }

    pub(crate) fn set(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(adcomputer_core::model::sanitize::for_terminal(message).into_owned());
        }
    }
}
