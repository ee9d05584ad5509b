"""The gin flags of the gin-configured CLIs (`train`, `prefinetune`),
defined once so both load into one process in any order."""

from absl import flags

flags.DEFINE_multi_string(
    'gin_file', [], 'gin file(s) of the job, e.g. gin/teams_small.gin or '
    'gin/multitask/muppet_tiny.gin (includes resolve against the working '
    'directory and the repo root).')
flags.DEFINE_multi_string(
    'gin_bindings', [], "Extra gin bindings, e.g. 'Experiment.train_steps = "
    "1000' (applied last, so they override everything).")
