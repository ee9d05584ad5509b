"""The package's demos on bundled data, each a chain of stage processes.

  adaptation  the main job (`python -m official_ext.demo`, `make demo`):
              a released encoder continued on in-domain text with the
              papers' objectives, then fine-tuned beside the released
              encoder and random init (learning curve: `make demo-full`);
  scratch     pretraining from scratch (`python -m official_ext.demo.scratch`,
              `make demo-scratch`): what a 2-core budget gets without a
              released encoder.
Shared: `stages` (running, skipping and timing stages; the recipe check),
`results` (reading fine-tuning runs; summary.json), `released_encoder`
(the pip-fetched, sha256-pinned released weights).
"""
